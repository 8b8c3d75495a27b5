"""Signature gates on a deposited acte: PAdES/CMS signatures validated with pyHanko.

Every regular (/Sig) signature must pass, in this order (each failure raises `SignatureInvalide`
naming the check in `controle`):
 1. `signature-absente`   at least one signature with a PAdES or CMS SubFilter
                          (ETSI.CAdES.detached, adbe.pkcs7.detached);
 2. `integrite`           the signed byte ranges still hash to the signed digest;
 3. `signature-cryptographique`  the CMS signature value verifies with the certificate's key;
 4. `certificat-validite` the signing certificate is within its validity period at the validation
                          instant (expired and not-yet-valid certificates are refused);
 5. `chaine-de-confiance` the certificate chains to one of the configured trust roots at that
                          instant (pyHanko path validation, key usage nonRepudiation);
 6. `heure-signature`     a signing time exists (trusted signature timestamp, else the signer's
                          claim), lies inside the certificate's validity and is not in the future;
 7. `couverture`          the last signature covers the entire file, or only DSS / document
                          timestamps (pyHanko ModificationLevel.LTA_UPDATES, i.e. PAdES-LT/LTA
                          material) follow it; earlier signatures may only be followed by form
                          filling and further signatures. An unsigned incremental update that adds
                          pages or changes content is refused;
 8. `conformite`          pyHanko's overall judgement (seed values, DocMDP, timestamp token trust).

Validation instant: the certificate is validated at `at` (the deposit instant), not at the signer's
self-declared signing time, which whoever holds the key controls. A certificate that has expired (or
is not yet valid) at the deposit instant is refused even if the signer claims an earlier signing
time: the coffre accepts only actes it can validate when they are deposited.

Revocation: development certificates carry no CRL/OCSP pointers, so the default mode is pyHanko's
"soft-fail" without fetching. Production must use "require" (or at least "hard-fail"), which turns on
fetching CRLs/OCSP from the certificate's distribution points.

Document timestamps (/DocTimeStamp) are accepted after the last signature (PAdES-LTA) but are not
themselves validated: the coffre adds its own RFC 3161 timestamp at deposit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import hashlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import byte_range_digest
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
)
from pyhanko_certvalidator import ValidationContext

from .errors import SignatureInvalide
from .rapport import ModeRevocation, SignatureVerifiee

# Tolerated clock skew between the signer's workstation and the coffre.
CLOCK_SKEW = dt.timedelta(minutes=5)

_PLAGE_LECTURE = 1 << 20


@contextlib.contextmanager
def plages_signees_hachees(reader: PdfFileReader, path: Path) -> Iterator[None]:
    """Digest each signature's /ByteRange in a worker thread while the caller goes on with the document.

    pyHanko digests the signed ranges when it validates, reading them 4 KiB at a time. Here the same
    function (`byte_range_digest`, same ranges, same algorithm) reads them 1 MiB at a time from a second
    handle on the same write-once file, in a thread (hashlib releases the GIL), while the caller walks
    the document; on leaving, the digests go into pyHanko's own cache
    (`EmbeddedPdfSignature.external_digests`), so validation uses them instead of reading the ranges
    again. Anything unusual (no signatures, an unreadable /ByteRange, a read error) leaves the cache
    empty: pyHanko then computes the digests, and reports problems, exactly as without this step.
    """
    try:
        travaux = [
            (sig, sig.external_md_algorithm, [int(borne) for borne in sig.byte_range])
            for sig in reader.embedded_regular_signatures
        ]
    except Exception:
        travaux = []
    if not travaux:
        yield
        return

    def hacher() -> list[bytes]:
        with path.open("rb") as fh:
            return [
                byte_range_digest(fh, plage, algorithme, chunk_size=_PLAGE_LECTURE)[1]
                for _, algorithme, plage in travaux
            ]

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="plages-signees") as pool:
        futur = pool.submit(hacher)
        yield
        try:
            empreintes = futur.result()
        except Exception:
            return
    for (sig, algorithme, _), empreinte in zip(travaux, empreintes, strict=True):
        sig.external_digests.setdefault(algorithme, empreinte)


async def verify_signatures(
    reader: PdfFileReader,
    *,
    trust_roots: Sequence[asn1_x509.Certificate],
    at: dt.datetime,
    revocation: ModeRevocation,
) -> tuple[list[SignatureVerifiee], str]:
    """Validate every signature; return their summaries and pyHanko's reports, concatenated."""
    embedded: list[EmbeddedPdfSignature] = list(reader.embedded_regular_signatures)
    if not embedded:
        raise SignatureInvalide(
            "Contrôle « signature-absente » : le PDF ne porte aucune signature électronique PAdES ou CMS.",
            controle="signature-absente",
        )
    context = ValidationContext(
        trust_roots=list(trust_roots),
        moment=at,
        allow_fetching=revocation != "soft-fail",
        revocation_mode=revocation,
    )
    results: list[SignatureVerifiee] = []
    reports: list[str] = []
    try:
        for index, signature in enumerate(embedded):
            try:
                status = await async_validate_pdf_signature(signature, signer_validation_context=context)
            except PdfDecodeLimitError:
                raise
            except Exception as exc:
                raise SignatureInvalide(
                    f"Contrôle « integrite » : la signature « {signature.field_name} » est illisible "
                    f"({type(exc).__name__}).",
                    controle="integrite",
                ) from exc
            results.append(_judge(signature, status, at=at, last=index == len(embedded) - 1))
            reports.append(f"=== Signature « {signature.field_name} » ===\n{status.pretty_print_details()}")  # type: ignore[no-untyped-call]
    finally:
        await context.aclose()  # type: ignore[no-untyped-call]
    return results, "\n".join(reports)


def _judge(
    signature: EmbeddedPdfSignature, status: PdfSignatureStatus, *, at: dt.datetime, last: bool
) -> SignatureVerifiee:
    field = signature.field_name

    def refuse(controle: str, reason: str) -> SignatureInvalide:
        return SignatureInvalide(
            f"Contrôle « {controle} » : signature « {field} » : {reason}.", controle=controle
        )

    if not status.intact:
        raise refuse("integrite", "le contenu signé a été modifié (l'empreinte ne correspond plus)")
    if not status.valid:
        raise refuse(
            "signature-cryptographique", "la valeur de signature ne se vérifie pas avec le certificat"
        )
    cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    if at < not_before:
        raise refuse(
            "certificat-validite", f"le certificat n'est valide qu'à partir du {not_before.isoformat()}"
        )
    if at > not_after:
        raise refuse("certificat-validite", f"le certificat a expiré le {not_after.isoformat()}")
    if status.revoked:
        raise refuse("chaine-de-confiance", "le certificat de signature est révoqué")
    if not status.trusted:
        indic = status.trust_problem_indic
        problem = indic.name if isinstance(indic, enum.Enum) else "chaîne introuvable"
        raise refuse(
            "chaine-de-confiance",
            f"la chaîne de certification n'est pas validée jusqu'à une autorité de confiance du coffre "
            f"({problem})",
        )

    signed_at, source = _signing_time(status)
    if signed_at is None:
        raise refuse("heure-signature", "aucune heure de signature n'est indiquée")
    if not not_before <= signed_at <= not_after:
        raise refuse(
            "heure-signature", "l'heure de signature est hors de la période de validité du certificat"
        )
    if signed_at > at + CLOCK_SKEW:
        raise refuse("heure-signature", "l'heure de signature est postérieure à l'instant de validation")

    if not _coverage_ok(status, last=last):
        raise refuse(
            "couverture",
            "la signature ne couvre pas tout le fichier "
            "(mise à jour incrémentale non signée ajoutée après elle)",
        )
    if not status.bottom_line:
        raise refuse("conformite", "le validateur juge la signature non conforme (voir le rapport)")

    return SignatureVerifiee(
        champ=field,
        signataire=_common_name(cert.subject),
        emetteur=_common_name(cert.issuer),
        signe_le=signed_at,
        source_heure=source,
        intact=status.intact,
        valide=status.bottom_line,
        couverture=status.coverage.name.lower() if status.coverage else "unclear",
        modifications=status.modification_level.name.lower() if status.modification_level else None,
        certificat_sha256=hashlib.sha256(status.signing_cert.dump()).hexdigest(),
        numero_serie=format(cert.serial_number, "X"),
    )


def _signing_time(
    status: PdfSignatureStatus,
) -> tuple[dt.datetime | None, Literal["horodatage", "declaree"]]:
    token = status.timestamp_validity
    if token is not None and token.intact and token.valid and token.trusted:
        return token.timestamp, "horodatage"
    return status.signer_reported_dt, "declaree"


def _coverage_ok(status: PdfSignatureStatus, *, last: bool) -> bool:
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION or status.modification_level is None:
        return False
    allowed = ModificationLevel.LTA_UPDATES if last else ModificationLevel.FORM_FILLING
    return bool(status.modification_level <= allowed)


def _common_name(name: x509.Name) -> str:
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if attributes:
        value = attributes[0].value
        return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return name.rfc4514_string()
