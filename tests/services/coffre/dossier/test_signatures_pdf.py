"""`signif verify` checks the PDF signatures offline: the acte's PAdES signature against the trust
roots in the bundle, every platform-sealed PDF against the seal certificate in the bundle; a byte
changed inside a sealed PDF breaks its seal whatever the manifest says."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared import devpki
from shared.crypto import keys
from shared.evidence import format as fmt
from shared.evidence.pades import RACINES_ACTES, SCEAU, signatures_pdf
from shared.evidence.verify import verify_bundle
from shared.testing.pki import ThrowawayPki
from tests.services.coffre.conftest import CoffreEnTest, CoffreFactory
from tests.services.coffre.reception.test_lettre_simple import _remplacer

MINUIT_PARIS = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)


async def _lot_a_domicile(t: CoffreEnTest, pdf: bytes) -> bytes:
    acte_id = (await t.deposer(pdf)).json()["id"]
    t.runtime.clock.set(MINUIT_PARIS)  # type: ignore[attr-defined]
    assert t.runtime.runner is not None
    assert await t.runtime.runner.run_due() >= 1
    r = await t.client.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=t.jeton())
    assert r.status_code == 200, r.text
    return r.content


async def _outil(*commande: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *commande, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    sortie, _ = await process.communicate()
    return process.returncode or 0, sortie.decode(errors="replace")


async def test_signatures_verifiees_hors_ligne(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str, tmp_path: Path
) -> None:
    async with coffre_factory(database_url=database_url) as t:
        bundle = await _lot_a_domicile(t, pdf_signe)
    rapport = verify_bundle(bundle)
    assert rapport.ok, "\n".join(str(c) for c in rapport.checks)
    etape6 = {c.piece: c.message for c in rapport.checks if c.numero == 6}
    assert "signature PAdES" in etape6[fmt.ACTE]
    assert "valide au dépôt (2026-03-02T09:00:00Z)" in etape6[fmt.ACTE]
    assert "cachet" in etape6[SCEAU]
    for chemin in (fmt.CERTIFICAT, "documents/certificat-v1.pdf", "documents/lettre-simple-v1.pdf"):
        assert (
            "cachet de la plateforme intact (signé le 2026-03-02T23:00:00Z), certificat valide à son "
            in etape6[chemin]
        )

    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        certificat = archive.read(fmt.CERTIFICAT)
        sceau = list(x509.load_pem_x509_certificates(archive.read(SCEAU)))
        racines = list(x509.load_pem_x509_certificates(archive.read(RACINES_ACTES)))
        acte = archive.read(fmt.ACTE)
    # A byte changed inside the sealed range: the seal no longer verifies (no manifest involved).
    assert b"Certificat de signification" in certificat
    altere = certificat.replace(b"Certificat de signification", b"Certificat de signifiCation", 1)
    [signature] = signatures_pdf(altere, [sceau[-1]])
    assert not signature.intacte
    [signature] = signatures_pdf(certificat, [sceau[-1]])
    assert signature.intacte
    assert signature.de_confiance
    assert signature.tout_le_fichier
    # What VERIFIER.md tells a verifier with only openssl and pdfsig to run, run here.
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        archive.extractall(tmp_path)
        guide = archive.read(fmt.GUIDE).decode()
    assert "openssl verify -CAfile confiance/sceau.pem confiance/sceau.pem" in guide
    code, sortie = await _outil("openssl", "verify", "-CAfile", str(tmp_path / SCEAU), str(tmp_path / SCEAU))
    assert code == 0, sortie
    assert sortie.strip().endswith(": OK")
    for pdf in (fmt.ACTE, fmt.CERTIFICAT, "documents/lettre-simple-v1.pdf"):
        code, sortie = await _outil("pdfsig", "-nocert", str(tmp_path / pdf))
        assert "Signature Validation: Signature is Valid." in sortie, (pdf, sortie)
        assert "Total document signed" in sortie, (pdf, sortie)
    code, sortie = await _outil("pdfsig", "-nocert", str(tmp_path / fmt.CERTIFICAT))
    sujet = str(sceau[0].subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value)
    assert f"Signer Certificate Common Name: {sujet}" in sortie, sortie
    # The acte's signature chains to the bundled roots, not to the seal's.
    assert signatures_pdf(acte, racines, moment=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))[-1].de_confiance
    assert not signatures_pdf(acte, [sceau[-1]], moment=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))[
        -1
    ].de_confiance


async def test_octet_modifie_dans_un_pdf_scelle_echoue_meme_manifeste_a_jour(
    coffre_factory: CoffreFactory, pdf_signe: bytes
) -> None:
    async with coffre_factory() as t:
        bundle = await _lot_a_domicile(t, pdf_signe)
    # The lettre simple's current version has no second copy nor story field: only its leaf and seal.
    chemin = "documents/lettre-simple-v1.pdf"
    falsifie = _remplacer(bundle, chemin, b"Lettre simple", b"Lettre simplE")
    rapport = verify_bundle(falsifie)
    assert not rapport.ok
    assert rapport.failure is not None
    assert rapport.failure.piece == chemin


async def test_pdf_scelle_par_un_autre_certificat_refuse(
    coffre_factory: CoffreFactory, pdf_signe: bytes, depot_pki: ThrowawayPki
) -> None:
    """The seal certificate swapped for another one in confiance/sceau.pem: the PDFs do not chain."""
    async with coffre_factory() as t:
        bundle = await _lot_a_domicile(t, pdf_signe)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        sceau = archive.read(SCEAU)
        racine_actes = archive.read(RACINES_ACTES)
    rapport = verify_bundle(_remplacer(bundle, SCEAU, sceau, racine_actes))
    assert not rapport.ok
    assert rapport.failure is not None
    assert rapport.failure.numero == 6


def _cachet_ephemere(var_dir: Path, *, du: datetime, au: datetime) -> x509.Certificate:
    """The coffre's development PKI made beforehand, with a seal certificate valid only [du, au]."""
    dossier = devpki.devpki_directory(var_dir)
    devpki.load_or_create(dossier, now=du - timedelta(days=1))
    ca = x509.load_pem_x509_certificate((dossier / devpki.CA_CERT_FILE).read_bytes())
    cle_ca = serialization.load_pem_private_key((dossier / devpki.CA_KEY_FILE).read_bytes(), password=None)
    assert isinstance(cle_ca, ec.EllipticCurvePrivateKey)
    cle = devpki.new_key()
    cachet = devpki.issue_signing_certificate(
        devpki.DEV_SEAL_NAME, cle.public_key(), issuer=ca, issuer_key=cle_ca, not_before=du, not_after=au
    )
    (dossier / devpki.SEAL_CERT_FILE).write_bytes(cachet.public_bytes(serialization.Encoding.PEM))
    keys.write_dev_private_key(dossier / devpki.SEAL_KEY_FILE, cle)
    return cachet


async def test_pdfs_scelles_verifies_a_leur_signature_apres_expiration_du_cachet(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str, tmp_path: Path
) -> None:
    """A seal certificate expires; what it sealed while valid stays sealed. The seal here is valid two
    days around the acte's story (March 2026); the bundle is verified afterwards, by the real clock,
    long after it expired: each sealed PDF is checked at its signature timestamp, and passes. Checked
    at a later instant, the same seal is refused: the moment is what makes it valid."""
    debut = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    cachet = _cachet_ephemere(tmp_path, du=debut, au=debut + timedelta(days=2))
    async with coffre_factory(database_url=database_url) as t:
        bundle = await _lot_a_domicile(t, pdf_signe)
    assert cachet.not_valid_after_utc < datetime.now(UTC)  # verified after the seal expired
    rapport = verify_bundle(bundle)
    assert rapport.ok, "\n".join(str(c) for c in rapport.checks)
    etape6 = {c.piece: c.message for c in rapport.checks if c.numero == 6}
    for chemin in (fmt.CERTIFICAT, "documents/certificat-v1.pdf", "documents/lettre-simple-v1.pdf"):
        assert "certificat valide à son horodatage du 2026-03-02T23:00:00Z" in etape6[chemin], etape6[chemin]
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        certificat = archive.read(fmt.CERTIFICAT)
        chaine = list(x509.load_pem_x509_certificates(archive.read(SCEAU)))
        tsa = list(x509.load_pem_x509_certificates(archive.read(fmt.TSA_RACINE)))
    assert chaine[0] == cachet
    [signature] = signatures_pdf(certificat, [chaine[-1]], tsa=tsa)
    assert signature.de_confiance
    assert signature.horodatage_valide
    assert signature.verifiee_au == MINUIT_PARIS
    [apres] = signatures_pdf(certificat, [chaine[-1]], tsa=tsa, moment=debut + timedelta(days=3))
    assert not apres.de_confiance
    # Without the TSA root, the seal's timestamp does not verify, and signif verify says so.
    [sans_tsa] = signatures_pdf(certificat, [chaine[-1]])
    assert sans_tsa.horodatage_valide is False
