"""The platform's PAdES seal on the PDF documents it issues, optionally timestamped.

Each document (the coffre's avis de réception, certificat de signification, lettre simple; consent's
récépissé of a declaration) is sealed by the platform, not by a commissaire: a PAdES signature
(SubFilter ETSI.CAdES.detached, SHA-256) by the platform seal certificate, in an invisible field
`CachetSignif`, appended as an incremental update to the PDF reportlab produced, so the seal covers
the whole file. The signing time (/M and the CMS
signing time) is the issue instant the caller passes, never the system clock.

With a `TimeStamper`, the CMS signature also carries an RFC 3161 signature timestamp (PAdES B-T): a
TSA attests the seal existed at genTime, independently of the platform's clock. pyHanko's
`timestamps.TimeStamper` leaves transport to `async_request_tsa_response`, so `EmbeddedTimeStamper`
answers it from the in-process TSA (`shared.timestamps.tsa.TimeStampAuthority`); an external TSA
uses pyHanko's own `HTTPTimeStamper`. pyHanko asks the TSA once more on first use, for a dummy token
used to size the signature placeholder.

Who seals (`signataire_sceau`, for both services): the PKCS#12 file `SIGNIF_SEAL_PKCS12` names (key,
certificate and chain; production provisions its qualified seal, eIDAS art. 36, this way), else outside
production the development seal certificate of `shared.devpki.dev_seal_signer` (non-qualified, issued by
the development CA); production without one refuses with 503 `sceau-indisponible`.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from asn1crypto import tsp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps import TimeStamper

from shared.devpki import dev_seal_signer
from shared.errors import ServiceIndisponible
from shared.settings import BaseServiceSettings
from shared.timestamps.token import TimeStampResp
from shared.timestamps.tsa import TimeStampAuthority

CHAMP_SCEAU = "CachetSignif"


class EmbeddedTimeStamper(TimeStamper):
    """A pyHanko TimeStamper answered by the in-process RFC 3161 TSA (no network)."""

    def __init__(self, authority: TimeStampAuthority) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._authority = authority

    def __repr__(self) -> str:
        return f"EmbeddedTimeStamper({self._authority!r})"

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        # The TSA answers every request with a DER TimeStampResp (a rejection included); pyHanko
        # checks the status and the nonce. asn1crypto's own TimeStampResp makes the token mandatory
        # and cannot even read a rejection's status: ours (RFC 3161 §2.4.2) has it optional.
        reponse: tsp.TimeStampResp = TimeStampResp.load(self._authority.respond(req.dump()))
        return reponse


class SceauIndisponible(ServiceIndisponible):
    code = "sceau-indisponible"
    title = "Sceau de la plateforme non configuré"
    #: The services that seal PDFs (the error catalogue lists only them).
    servi_par = ("consent", "coffre")


def signataire_sceau(settings: BaseServiceSettings, *, now: dt.datetime) -> signers.Signer:
    """The platform seal's signer: the configured PKCS#12 file, else (outside production) the
    development seal valid from `now`. Raises `SceauIndisponible` when production has none, or when
    the file cannot be read with its passphrase (the detail never names the passphrase)."""
    if settings.sceau_pkcs12 is not None:
        mot_de_passe = settings.sceau_pkcs12_mot_de_passe
        try:
            charge = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
                str(settings.sceau_pkcs12),
                passphrase=mot_de_passe.get_secret_value().encode() if mot_de_passe is not None else None,
            )
        except (OSError, ValueError):
            charge = None
        if not isinstance(charge, signers.SimpleSigner):  # pyHanko logs and returns None on failure
            raise SceauIndisponible("Le fichier PKCS#12 du cachet de la plateforme est illisible.")
        return charge
    if settings.env == "production":
        raise SceauIndisponible("Aucun cachet qualifié de la plateforme n'est configuré.")
    return dev_seal_signer(settings.var_dir, now=now)


@dataclass(frozen=True)
class SceauPdf:
    """Who seals: the platform seal's pyHanko signer, and a TimeStamper for PAdES B-T (optional)."""

    signer: signers.Signer
    timestamper: TimeStamper | None = None


class _PdfSignerAt(signers.PdfSigner):
    """A PdfSigner whose signing time is the given instant instead of the system clock."""

    def __init__(
        self,
        meta: signers.PdfSignatureMetadata,
        signer: signers.Signer,
        at: dt.datetime,
        timestamper: TimeStamper | None,
    ) -> None:
        super().__init__(meta, signer, timestamper=timestamper)
        self._at = at

    def init_signing_session(
        self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session: PdfSigningSession = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._at
        return session


async def sceller_pdf(data: bytes, sceau: SceauPdf, *, le: dt.datetime, motif: str) -> bytes:
    """`data` (an unsigned PDF) with the platform's PAdES seal made at `le`, stating `motif`."""
    if le.utcoffset() is None:
        raise ValueError("le must be timezone-aware")
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    meta = signers.PdfSignatureMetadata(
        field_name=CHAMP_SCEAU,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=motif,
        location="Signif, plateforme de signification électronique",
    )
    output = io.BytesIO()
    await _PdfSignerAt(meta, sceau.signer, le, sceau.timestamper).async_sign_pdf(writer, output=output)
    return output.getvalue()
