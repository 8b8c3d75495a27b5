"""Step 6 of the verifier: the PDF signatures themselves, offline (pyHanko, no fetching).

- `acte/document.pdf`: every PAdES/CMS signature is intact, cryptographically valid and chains to one
  of the roots in `confiance/actes-racines.pem` (the coffre's trust roots for the commissaires'
  qualified signatures), validated at the deposit instant (`recit.depose_le`, itself attested by the
  deposit's RFC 3161 token); the last one covers the whole file.
- every sealed PDF of the platform (`avis/reception.pdf`, `certificat/certificat.pdf`,
  `documents/*.pdf`): one signature, by the seal certificate `confiance/sceau.pem` names first, chaining
  to the root that file ends with, covering the whole file, intact. The certificate is checked valid
  at the signing instant, not at verification time (a seal certificate expires; what it sealed while
  valid stays sealed): the instant of the signature timestamp embedded in the seal (PAdES B-T), which
  must itself verify against the bundle's TSA root (`tsa/racine.pem`), else the signing time the seal
  states. A byte changed inside such a PDF breaks its signature even when the manifest and
  `SHA256SUMS` are rewritten to match.

Revocation is not checked (no network; development certificates carry no CRL/OCSP pointers).
pyHanko's validation is asynchronous: it runs on its own event loop in a worker thread, so the
verifier stays callable from synchronous code and from inside a running loop alike.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import EmbeddedPdfSignature, SignatureCoverageLevel, async_validate_pdf_signature
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext

from shared.evidence import format as fmt
from shared.evidence._context import Context, Failure

SCEAU = "confiance/sceau.pem"
RACINES_ACTES = "confiance/actes-racines.pem"


@dataclass(frozen=True)
class Signature:
    champ: str
    signataire: x509.Certificate
    intacte: bool
    valide: bool
    de_confiance: bool
    tout_le_fichier: bool
    signe_le: datetime | None
    #: The instant of the embedded signature timestamp, and whether that token verified (intact,
    #: valid, chaining to the TSA roots given); None without a timestamp.
    horodatee_le: datetime | None = None
    horodatage_valide: bool | None = None
    #: The instant the signer's certificate was checked at (None: verification time).
    verifiee_au: datetime | None = None


def _horodatage_valide(
    validite: TimestampSignatureStatus | None, horodatee_le: datetime | None
) -> bool | None:
    if horodatee_le is None:
        return None
    return validite is not None and bool(validite.intact and validite.valid and validite.trusted)


def _heure_horodatage(embarquee: EmbeddedPdfSignature) -> datetime | None:
    """genTime of the signature timestamp token in the CMS's unsigned attributes (PAdES B-T), read
    before validation so the certificate can be checked at that instant; the token itself is verified
    by the validation."""
    for jeton in extract_tst_data_iter(embarquee.signer_info, signed=False):
        heure = jeton["encap_content_info"]["content"].parsed["gen_time"].native
        return heure if isinstance(heure, datetime) else None
    return None


def _asn1(certificats: Sequence[x509.Certificate]) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certificats]


async def _valider(
    data: bytes, racines: Sequence[x509.Certificate], tsa: Sequence[x509.Certificate], moment: datetime | None
) -> list[Signature]:
    lecteur = PdfFileReader(io.BytesIO(data), strict=False)
    resultats = []
    for embarquee in lecteur.embedded_regular_signatures:
        horodatee_le = _heure_horodatage(embarquee)
        instant = moment or horodatee_le or embarquee.self_reported_timestamp
        contexte = ValidationContext(
            trust_roots=_asn1(racines),
            moment=instant,
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        contexte_tsa = (
            ValidationContext(trust_roots=_asn1(tsa), moment=horodatee_le, allow_fetching=False)
            if tsa
            else None
        )
        try:
            statut = await async_validate_pdf_signature(
                embarquee, signer_validation_context=contexte, ts_validation_context=contexte_tsa
            )
        finally:
            await contexte.aclose()  # type: ignore[no-untyped-call]
            if contexte_tsa is not None:
                await contexte_tsa.aclose()  # type: ignore[no-untyped-call]
        resultats.append(
            Signature(
                champ=str(embarquee.field_name),
                signataire=x509.load_der_x509_certificate(statut.signing_cert.dump()),
                intacte=bool(statut.intact),
                valide=bool(statut.valid),
                de_confiance=bool(statut.trusted),
                tout_le_fichier=statut.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                signe_le=statut.signer_reported_dt,
                horodatee_le=horodatee_le,
                horodatage_valide=_horodatage_valide(statut.timestamp_validity, horodatee_le),
                verifiee_au=instant,
            )
        )
    return resultats


def signatures_pdf(
    data: bytes,
    racines: Sequence[x509.Certificate],
    *,
    tsa: Sequence[x509.Certificate] = (),
    moment: datetime | None = None,
) -> list[Signature]:
    """Every regular signature of the PDF, validated offline (see the module docstring): at `moment`
    when given (the acte: its deposit), else at its signature timestamp, else at its stated signing
    time."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pades") as pool:
        return pool.submit(asyncio.run, _valider(data, racines, tsa, moment)).result()


def _certificats(ctx: Context, chemin: str) -> list[x509.Certificate]:
    try:
        certificats = list(x509.load_pem_x509_certificates(ctx.file(chemin)))
    except ValueError as exc:
        raise Failure(chemin, f"certificats PEM illisibles ({exc})") from exc
    if not certificats:
        raise Failure(chemin, "aucun certificat")
    return certificats


def _nom(certificat: x509.Certificate) -> str:
    noms = certificat.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(noms[0].value) if noms else certificat.subject.rfc4514_string()


def _juger(chemin: str, signatures: list[Signature]) -> Signature:
    if not signatures:
        raise Failure(chemin, "aucune signature électronique dans le PDF")
    for s in signatures:
        if not s.intacte:
            raise Failure(chemin, f"signature « {s.champ} » : le contenu signé a été modifié")
        if not s.valide:
            raise Failure(chemin, f"signature « {s.champ} » : la valeur de signature ne se vérifie pas")
        if not s.de_confiance:
            raise Failure(
                chemin, f"signature « {s.champ} » : le certificat ne remonte à aucune racine fournie"
            )
    derniere = signatures[-1]
    if not derniere.tout_le_fichier:
        raise Failure(
            chemin, f"signature « {derniere.champ} » : ne couvre pas tout le fichier (ajout après signature)"
        )
    return derniere


def _scelles(ctx: Context) -> list[str]:
    chemins = [p for p in (fmt.AVIS_RECEPTION_PDF, fmt.CERTIFICAT) if p in ctx.files]
    chemins += sorted(p for p in ctx.files if p.startswith(fmt.DOCUMENTS) and p.endswith(".pdf"))
    return chemins


def check_pdf_signatures(ctx: Context) -> Iterator[tuple[str, str]]:
    tsa = _certificats(ctx, fmt.TSA_RACINE) if fmt.TSA_RACINE in ctx.files else []
    if ctx.type == "acte":
        if RACINES_ACTES in ctx.files:
            racines = _certificats(ctx, RACINES_ACTES)
            moment = ctx.recit.depose_le
            derniere = _juger(fmt.ACTE, signatures_pdf(ctx.file(fmt.ACTE), racines, tsa=tsa, moment=moment))
            yield (
                fmt.ACTE,
                f"signature PAdES de « {_nom(derniere.signataire)} » intacte, valide au dépôt "
                f"({fmt.rfc3339_utc(moment)}), chaîne vers {RACINES_ACTES}, couvre tout le fichier",
            )
        else:
            yield fmt.ACTE, f"signature de l'acte non vérifiée : {RACINES_ACTES} absent (format antérieur)"
    scelles = _scelles(ctx)
    if not scelles:
        return
    if SCEAU not in ctx.files:
        yield "confiance", f"PDF scellés non vérifiés : {SCEAU} absent (format antérieur)"
        return
    chaine = _certificats(ctx, SCEAU)
    sceau, racine = chaine[0], chaine[-1]
    empreinte = sceau.fingerprint(hashes.SHA256()).hex()
    yield SCEAU, f"cachet « {_nom(sceau)} », SHA-256 {empreinte}, racine « {_nom(racine)} »"
    for chemin in scelles:
        derniere = _juger(chemin, signatures_pdf(ctx.file(chemin), [racine], tsa=tsa))
        if derniere.signataire != sceau:
            raise Failure(chemin, f"scellé par « {_nom(derniere.signataire)} », pas par le cachet de {SCEAU}")
        if derniere.horodatage_valide is False:
            raise Failure(
                chemin,
                f"signature « {derniere.champ} » : son horodatage ne se vérifie pas ({fmt.TSA_RACINE})",
            )
        quand = fmt.rfc3339_utc(derniere.signe_le) if derniere.signe_le else "?"
        if derniere.horodatee_le is not None:
            au = f"à son horodatage du {fmt.rfc3339_utc(derniere.horodatee_le)}"
        elif derniere.verifiee_au is not None:
            au = f"à sa date de signature déclarée ({fmt.rfc3339_utc(derniere.verifiee_au)})"
        else:
            au = "à la date de la vérification"
        yield (
            chemin,
            f"cachet de la plateforme intact (signé le {quand}), certificat valide {au}, "
            "couvre tout le fichier",
        )
