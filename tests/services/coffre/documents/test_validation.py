"""The happy path: a valid PAdES-signed, PDF/A-declared acte and the report kept as evidence."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import add_validation_info
from pyhanko_certvalidator import ValidationContext

from services.coffre.documents import (
    RapportValidation,
    SignatureInvalide,
    load_trust_roots,
    signer_pdf_octets,
    signer_pdf_octets_async,
    valider_acte,
)
from services.coffre.documents.signatures import plages_signees_hachees
from shared.testing import pdfs
from shared.testing.pki import ThrowawayPki

from .conftest import NOW, SIGNED_AT


async def test_valid_acte_report(
    acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    rapport = await valider_acte(deposer(acte_signe), trust_roots=[pki.trusted_root_pem], at=NOW)

    assert rapport.sha256 == hashlib.sha256(acte_signe).hexdigest()
    assert rapport.taille == len(acte_signe)
    assert (rapport.pdfa.part, rapport.pdfa.conformance) == (2, "B")
    assert rapport.valide_le == NOW
    assert rapport.revocation == "soft-fail"
    [signature] = rapport.signatures
    cert = pki.valid.certificate
    assert signature.champ == "Signature1"
    assert signature.signataire == "Maître Alice Valide, commissaire de justice"
    assert signature.emetteur == "Racine de test de confiance"
    assert signature.signe_le == SIGNED_AT
    assert signature.source_heure == "declaree"
    assert signature.intact
    assert signature.valide
    assert signature.couverture == "entire_file"
    assert signature.modifications == "none"
    assert signature.certificat_sha256 == cert.fingerprint(hashes.SHA256()).hex()
    assert int(signature.numero_serie, 16) == cert.serial_number
    # pyHanko's own report is kept verbatim as evidence.
    assert "=== Signature « Signature1 » ===" in rapport.rapport_pyhanko
    assert "The signature is judged VALID." in rapport.rapport_pyhanko
    assert "Racine de test de confiance" in rapport.rapport_pyhanko


async def test_report_round_trips_as_json(
    acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    rapport = await valider_acte(deposer(acte_signe), trust_roots=[pki.trusted_root], at=NOW)
    assert RapportValidation.model_validate_json(rapport.model_dump_json()) == rapport


@pytest.mark.parametrize(("part", "conformance"), [(1, "B"), (2, "U"), (3, "A"), (4, None)])
async def test_pdfa_parts_reported(
    pki: ThrowawayPki, deposer: Callable[[bytes], Path], part: int, conformance: str | None
) -> None:
    signed = await signer_pdf_octets_async(
        pdfs.acte_pdfa(part=part, conformance=conformance), pki.valid.signer(), at=SIGNED_AT
    )
    rapport = await valider_acte(deposer(signed), trust_roots=[pki.trusted_root], at=NOW)
    assert (rapport.pdfa.part, rapport.pdfa.conformance) == (part, conformance)


async def test_two_signatures_both_reported(
    acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    cosigne = await signer_pdf_octets_async(acte_signe, pki.valid.signer(), at=SIGNED_AT)
    rapport = await valider_acte(deposer(cosigne), trust_roots=[pki.trusted_root], at=NOW)
    assert [s.champ for s in rapport.signatures] == ["Signature1", "Signature2"]
    assert [s.couverture for s in rapport.signatures] == ["entire_revision", "entire_file"]
    assert rapport.signatures[0].modifications == "form_filling"


async def test_untrusted_cosignature_is_refused(
    acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    cosigne = await signer_pdf_octets_async(acte_signe, pki.untrusted.signer(), at=SIGNED_AT)
    with pytest.raises(SignatureInvalide) as refus:
        await valider_acte(deposer(cosigne), trust_roots=[pki.trusted_root], at=NOW)
    assert "Signature2" in refus.value.detail
    assert refus.value.controle == "chaine-de-confiance"


@pytest.fixture(scope="module")
def acte_lt(acte_signe: bytes, pki: ThrowawayPki) -> bytes:
    """The signed acte plus a DSS incremental update (PAdES B-LT material), added by pyHanko."""
    reader = PdfFileReader(io.BytesIO(acte_signe), strict=True)
    context = ValidationContext(trust_roots=load_trust_roots([pki.trusted_root]), moment=NOW)
    out: io.BytesIO = add_validation_info(reader.embedded_signatures[0], context)
    return out.getvalue()


async def test_dss_update_after_signature_is_accepted(
    acte_lt: bytes, acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    assert len(acte_lt) > len(acte_signe)  # an unsigned incremental update was appended...
    rapport = await valider_acte(deposer(acte_lt), trust_roots=[pki.trusted_root], at=NOW)
    # ...but pyHanko's diff analysis proves it only adds validation material.
    assert rapport.signatures[0].couverture == "entire_revision"
    assert rapport.signatures[0].modifications == "lta_updates"


@pytest.mark.parametrize("mega_octets", [1, 10, 50])
async def test_large_actes(
    pki: ThrowawayPki, deposer: Callable[[bytes], Path], tmp_path: Path, mega_octets: int
) -> None:
    size = mega_octets * 1024 * 1024
    signed = await signer_pdf_octets_async(pdfs.acte_pdfa(taille_min=size), pki.valid.signer(), at=SIGNED_AT)
    assert len(signed) >= size
    rapport = await valider_acte(deposer(signed), trust_roots=[pki.trusted_root], at=NOW)
    assert rapport.taille == len(signed)
    assert rapport.signatures[0].couverture == "entire_file"


def test_signed_ranges_hashed_aside_equal_pyhanko_digests(
    acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    cosigne = signer_pdf_octets(acte_signe, pki.valid.signer(), at=SIGNED_AT)
    path = deposer(cosigne)
    with path.open("rb") as fh:
        reader = PdfFileReader(fh, strict=True)
        with plages_signees_hachees(reader, path):
            pass
        aside = [sig.external_digests for sig in reader.embedded_regular_signatures]
    fresh = PdfFileReader(io.BytesIO(cosigne), strict=True)
    expected = [{"sha256": sig.compute_digest()} for sig in fresh.embedded_regular_signatures]
    assert len(expected) == 2
    assert aside == expected


def test_unreadable_byte_range_is_left_to_pyhanko(
    acte_signe: bytes, deposer: Callable[[bytes], Path]
) -> None:
    path = deposer(acte_signe)
    with path.open("rb") as fh:
        reader = PdfFileReader(fh, strict=True)
        [sig] = reader.embedded_regular_signatures
        sig.byte_range = ["/NotANumber"]  # as a hostile file could make it
        with plages_signees_hachees(reader, path):
            pass
        assert sig.external_digests == {}


async def test_known_sha256_is_recorded_without_rehashing(
    acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    claimed = "ab" * 32  # what the caller says it computed: recorded as is, the file is not re-read
    rapport = await valider_acte(deposer(acte_signe), trust_roots=[pki.trusted_root], at=NOW, sha256=claimed)
    assert rapport.sha256 == claimed
    assert rapport.taille == len(acte_signe)
