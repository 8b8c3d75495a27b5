"""`signif dev sign` produces a PDF that the embedded deployment (development CA trusted) accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.testing import pdfs
from signif.cli import main
from tests.services.coffre.conftest import CoffreFactory, metadonnees


@pytest.fixture
def pdf_dev_signe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setenv("SIGNIF_VAR_DIR", str(tmp_path))
    (tmp_path / "acte.pdf").write_bytes(pdfs.acte_pdfa())
    entree, sortie = str(tmp_path / "acte.pdf"), str(tmp_path / "signe.pdf")
    assert main(["dev", "sign", "--in", entree, "--out", sortie]) == 0
    return (tmp_path / "signe.pdf").read_bytes()


async def test_signif_dev_sign_accepte(coffre_factory: CoffreFactory, pdf_dev_signe: bytes) -> None:
    # The demo certificate is issued at first use (wall clock): validate just after it.
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    derogation = {"ordonnance": "ORD-1", "juridiction": "TJ Paris", "date": "2026-01-01"}  # any hour
    async with coffre_factory(now=now) as t:
        response = await t.deposer(pdf_dev_signe, metadonnees(derogation_664=derogation))
        assert response.status_code == 201, response.text
        assert "Démo" in response.json()["signature"]["signataire"]
