"""Fixtures for the acte validation tests: one throw-away PKI and every PDF variant, built once.

PDF building and signing are synchronous (pyHanko runs its own event loop), so they happen here in
session-scoped sync fixtures, never inside an async test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.coffre.documents import signer_pdf_octets
from shared.testing import pdfs
from shared.testing.pki import ThrowawayPki, build_pki

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SIGNED_AT = NOW - timedelta(hours=1)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayPki:
    return build_pki(tmp_path_factory.mktemp("pki"), now=NOW)


@pytest.fixture(scope="session")
def acte() -> bytes:
    return pdfs.acte_pdfa()


@pytest.fixture(scope="session")
def acte_signe(acte: bytes, pki: ThrowawayPki) -> bytes:
    return signer_pdf_octets(acte, pki.valid.signer(), at=SIGNED_AT)


@pytest.fixture(scope="session")
def variantes(acte: bytes, acte_signe: bytes, pki: ThrowawayPki) -> dict[str, bytes]:
    """Every bad input, keyed by the name the refusal tests use."""

    def signe(pdf: bytes) -> bytes:
        return signer_pdf_octets(pdf, pki.valid.signer(), at=SIGNED_AT)

    return {
        "jpeg": pdfs.jpeg(),
        "vide": b"",
        "tronque": pdfs.tronque(acte_signe),
        "chiffre": pdfs.acte_chiffre(),
        "sans-pdfa": signe(pdfs.acte_pdfa(part=None)),
        "pdfa-incoherent": signe(pdfs.acte_pdfa(part=2, conformance="Z")),
        "javascript": signe(pdfs.avec_javascript(acte)),
        "lancement": signe(pdfs.avec_lancement(acte)),
        "executable": signe(pdfs.avec_executable(acte)),
        "executable-renomme": signe(pdfs.avec_executable(acte, nom="annexe.txt")),
        "bombe-xmp": pdfs.acte_bombe_xmp(),
        "non-signe": acte,
        "signature-alteree": pdfs.signature_alteree(acte_signe),
        "contenu-modifie": pdfs.octet_modifie(acte_signe),
        "page-ajoutee": pdfs.page_ajoutee_apres_signature(acte_signe),
        "ac-inconnue": signer_pdf_octets(acte, pki.untrusted.signer(), at=SIGNED_AT),
        "certificat-expire": signer_pdf_octets(acte, pki.expired.signer(), at=pki.expired_signing_time),
        "certificat-futur": signer_pdf_octets(acte, pki.not_yet_valid.signer(), at=SIGNED_AT),
        "signe-dans-le-futur": signer_pdf_octets(acte, pki.valid.signer(), at=NOW + timedelta(hours=2)),
    }


@pytest.fixture
def deposer(tmp_path: Path) -> Callable[[bytes], Path]:
    """Write bytes to a fresh `acte.pdf` file, as the upload handler would."""

    def write(data: bytes) -> Path:
        path = tmp_path / "acte.pdf"
        path.write_bytes(data)
        return path

    return write
