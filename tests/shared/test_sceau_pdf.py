"""Who seals the platform's PDFs (`shared.sceau_pdf.signataire_sceau`): the PKCS#12 file the settings
name (production's qualified seal), else outside production the development seal; production without
one, or a file the passphrase does not open, is 503 `sceau-indisponible`. A PDF sealed with the PKCS#12
seal passes qpdf and pdfsig and names that certificate."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pydantic import SecretStr
from reportlab.pdfgen import canvas

from services.consent.settings import ConsentSettings
from shared.devpki import load_or_create_seal
from shared.sceau_pdf import SceauIndisponible, SceauPdf, sceller_pdf, signataire_sceau
from tests.services.coffre.reception.test_certificat import valider_independamment

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MOT_DE_PASSE = "phrase-de-passe-du-cachet"


def _pkcs12(dossier: Path) -> tuple[Path, x509.Certificate]:
    """A PKCS#12 (key, seal certificate, CA) made from a PKI outside any service's var_dir."""
    pki = load_or_create_seal(dossier / "pki-du-cachet", now=NOW)
    cle = serialization.load_pem_private_key(pki.seal_key_path.read_bytes(), password=None)
    certificat = x509.load_pem_x509_certificate(pki.seal_certificate_path.read_bytes())
    fichier = dossier / "cachet.p12"
    fichier.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"cachet",
            cle,  # type: ignore[arg-type]
            certificat,
            [pki.ca_certificate()],
            serialization.BestAvailableEncryption(MOT_DE_PASSE.encode()),
        )
    )
    return fichier, certificat


def _pdf() -> bytes:
    sortie = io.BytesIO()
    page = canvas.Canvas(sortie)
    page.drawString(72, 720, "Document de la plateforme")
    page.save()
    return sortie.getvalue()


async def test_the_pkcs12_seal_signs_and_pdfsig_accepts_it(tmp_path: Path) -> None:
    fichier, certificat = _pkcs12(tmp_path)
    settings = ConsentSettings(
        var_dir=tmp_path / "var", sceau_pkcs12=fichier, sceau_pkcs12_mot_de_passe=MOT_DE_PASSE
    )
    for env in ("development", "production"):
        signer = signataire_sceau(settings.model_copy(update={"env": env}), now=NOW)
        assert signer.signing_cert is not None
        assert signer.signing_cert.dump() == certificat.public_bytes(serialization.Encoding.DER)
    assert not (tmp_path / "var").exists()  # no development seal was made beside it
    scelle = await sceller_pdf(_pdf(), SceauPdf(signer=signer), le=NOW, motif="Essai")
    sortie = await valider_independamment(scelle, tmp_path, "scelle.pdf")
    assert "Signer Certificate Common Name" in sortie


async def test_production_without_a_seal_or_with_a_wrong_passphrase_is_503(tmp_path: Path) -> None:
    production = ConsentSettings(var_dir=tmp_path / "var").model_copy(update={"env": "production"})
    with pytest.raises(SceauIndisponible) as refus:
        signataire_sceau(production, now=NOW)
    assert (refus.value.status_code, refus.value.code) == (503, "sceau-indisponible")
    fichier, _ = _pkcs12(tmp_path)
    for mauvais in ("une-autre-phrase", None):
        settings = production.model_copy(
            update={
                "sceau_pkcs12": fichier,
                "sceau_pkcs12_mot_de_passe": SecretStr(mauvais) if mauvais else None,
            }
        )
        with pytest.raises(SceauIndisponible) as refus:
            signataire_sceau(settings, now=NOW)
        assert MOT_DE_PASSE not in str(refus.value)
    absent = production.model_copy(update={"sceau_pkcs12": tmp_path / "absent.p12"})
    with pytest.raises(SceauIndisponible):
        signataire_sceau(absent, now=NOW)
    # Outside production, no file: the development seal, made in the service's var_dir.
    developpement = production.model_copy(update={"env": "development"})
    await asyncio.to_thread(signataire_sceau, developpement, now=NOW)
    assert any((tmp_path / "var").rglob("seal.cert.pem"))
