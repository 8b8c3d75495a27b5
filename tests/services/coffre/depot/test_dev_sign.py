"""`signif dev sign` turns any PDF into the PDF/A-2b the coffre accepts, or refuses saying how in French.

The signed output is deposited in a coffre that trusts the development CA (201); the conversion is
checked on its own terms too: fonts embedded, sRGB output intent, PDF/A-2b declared in the XMP.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from shared.testing import pdfs
from signif.cli import main
from tests.services.coffre.conftest import CoffreFactory, metadonnees

TEXTE = "Signification d'un jugement — acte ordinaire, non PDF/A"
#: Any hour: the signing time is the wall clock, the coffre's clock is set just after it.
DEROGATION = {"ordonnance": "ORD-1", "juridiction": "TJ Paris", "date": "2026-01-01"}


def pdf_ordinaire(*, police_incorporee: bool = False) -> bytes:
    """A plain PDF as any office program writes it: no PDF/A declaration, no output intent."""
    sortie = io.BytesIO()
    if police_incorporee:
        pdfmetrics.registerFont(TTFont("Vera", "Vera.ttf"))  # shipped with reportlab, embedded
        toile = canvas.Canvas(sortie, initialFontName="Vera")
    else:
        toile = canvas.Canvas(sortie)  # Helvetica, one of the 14 fonts a PDF may name without embedding
    toile.drawString(72, 720, TEXTE)
    toile.save()
    return sortie.getvalue()


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The coffre of `coffre_factory` trusts the development CA under its var dir, `tmp_path`."""
    monkeypatch.setenv("SIGNIF_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SIGNIF_ENV", "development")
    return tmp_path


def signer(tmp_path: Path, contenu: bytes, capsys: pytest.CaptureFixture[str], attendu: int = 0) -> str:
    """`signif dev sign` on `contenu` (it runs its own event loop: async tests call it in a thread)."""
    (tmp_path / "acte.pdf").write_bytes(contenu)
    code = main(["dev", "sign", "--in", str(tmp_path / "acte.pdf"), "--out", str(tmp_path / "signe.pdf")])
    sortie = capsys.readouterr()
    assert code == attendu, sortie
    return sortie.out if attendu == 0 else sortie.err


def maintenant() -> datetime:
    # The demo certificate is issued at first use (wall clock): validate just after it.
    return datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)


@pytest.mark.usefixtures("var")
async def test_a_pdf_already_pdfa_is_signed_as_it_is(
    coffre_factory: CoffreFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = pdfs.acte_pdfa()
    assert "inchangé" in await asyncio.to_thread(signer, tmp_path, original, capsys)
    signe = (tmp_path / "signe.pdf").read_bytes()
    assert signe.startswith(original)  # an incremental update: the original bytes are intact
    async with coffre_factory(now=maintenant()) as t:
        reponse = await t.deposer(signe, metadonnees(derogation_664=DEROGATION))
        assert reponse.status_code == 201, reponse.text
        assert "Démo" in reponse.json()["signature"]["signataire"]


@pytest.mark.parametrize("police_incorporee", [True, False], ids=["pikepdf", "ghostscript"])
@pytest.mark.usefixtures("var")
async def test_an_ordinary_pdf_becomes_the_pdfa_the_coffre_accepts(
    coffre_factory: CoffreFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str], police_incorporee: bool
) -> None:
    ordinaire = pdf_ordinaire(police_incorporee=police_incorporee)
    dit = await asyncio.to_thread(signer, tmp_path, ordinaire, capsys)
    assert ("Ghostscript" in dit) is not police_incorporee
    signe = (tmp_path / "signe.pdf").read_bytes()
    with pikepdf.open(io.BytesIO(signe)) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
        intention = pdf.Root.OutputIntents[0]
        assert intention.S == "/GTS_PDFA1"
        assert intention.DestOutputProfile.read_bytes()[36:40] == b"acsp"  # an ICC profile
        polices = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"]
        assert polices
        for police in polices:
            if police.get("/Subtype") != "/Type0":
                assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(police.FontDescriptor.keys())
    async with coffre_factory(now=maintenant()) as t:
        reponse = await t.deposer(signe, metadonnees(derogation_664=DEROGATION))
        assert reponse.status_code == 201, reponse.text


@pytest.mark.usefixtures("var")
def test_without_ghostscript_missing_fonts_are_refused_with_the_ways_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `gs` there
    erreur = signer(tmp_path, pdf_ordinaire(), capsys, attendu=2)
    assert "polices non incorporées (Helvetica)" in erreur
    assert "apt-get install ghostscript" in erreur
    assert "PDF/A-2b" in erreur
    assert not (tmp_path / "signe.pdf").exists()


@pytest.mark.usefixtures("var")
def test_what_cannot_be_converted_is_refused_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ordinaire = pdf_ordinaire(police_incorporee=True)
    assert "Le PDF est chiffré" in signer(tmp_path, pdfs.acte_chiffre(), capsys, attendu=2)
    assert "JavaScript" in signer(tmp_path, pdfs.avec_javascript(ordinaire), capsys, attendu=2)
    assert "n'est pas un PDF lisible" in signer(tmp_path, b"ceci n'est pas un PDF", capsys, attendu=2)
    signer(tmp_path, ordinaire, capsys)
    deja_signe = (tmp_path / "signe.pdf").read_bytes()
    with pikepdf.open(io.BytesIO(deja_signe)) as pdf:  # the same signed PDF, its PDF/A declaration removed
        with pdf.open_metadata() as meta:
            del meta["pdfaid:part"]
        sans_pdfa = io.BytesIO()
        pdf.save(sans_pdfa)
    assert "déjà signé" in signer(tmp_path, sans_pdfa.getvalue(), capsys, attendu=2)
