"""The development platform seal certificate, the in-process pyHanko TimeStamper and `sceller_pdf`."""

from __future__ import annotations

import hashlib
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from services.coffre.preuves import EmbeddedTimeStamper, SceauPdf, sceller_pdf
from shared import devpki
from shared.timestamps.token import TimeStampResp, parse_response
from shared.timestamps.verify import verify_timestamp

from .conftest import EMISSION, PKI_CREEE_LE, Plateforme


def test_the_seal_is_added_to_an_existing_pki_without_touching_it(tmp_path: Path) -> None:
    dossier = devpki.devpki_directory(tmp_path)
    avant = devpki.load_or_create(dossier, now=PKI_CREEE_LE)
    fichiers = {p.name: p.read_bytes() for p in dossier.iterdir()}

    pki = devpki.load_or_create_seal(dossier, now=PKI_CREEE_LE)

    assert pki == avant
    assert {nom: (dossier / nom).read_bytes() for nom in fichiers} == fichiers  # nothing rewritten
    ca = pki.ca_certificate()
    sceau = x509.load_pem_x509_certificate(pki.seal_certificate_path.read_bytes())
    assert sceau.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == devpki.DEV_SEAL_NAME
    assert "non qualifié" in devpki.DEV_SEAL_NAME
    assert sceau.issuer == ca.subject
    ca_key = ca.public_key()
    assert isinstance(ca_key, ec.EllipticCurvePublicKey)
    ca_key.verify(sceau.signature, sceau.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    usage = sceau.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert sceau.not_valid_after_utc <= ca.not_valid_after_utc
    assert sceau.not_valid_before_utc <= PKI_CREEE_LE
    assert devpki.is_dev_key(pki.seal_key_path)
    assert stat.S_IMODE(pki.seal_key_path.stat().st_mode) == 0o600

    # Idempotent; and the demo commissaire's signer is unchanged.
    certificat = pki.seal_certificate_path.read_bytes()
    devpki.load_or_create_seal(dossier)
    assert pki.seal_certificate_path.read_bytes() == certificat
    commissaire = pki.signer().signing_cert
    assert commissaire is not None
    assert commissaire.subject.native["common_name"] == devpki.DEV_SIGNER_NAME


def test_dev_seal_signer_holds_the_seal_certificate(tmp_path: Path) -> None:
    signer = devpki.dev_seal_signer(tmp_path)

    pki = devpki.DevPki(devpki.devpki_directory(tmp_path))
    attendu = x509.load_pem_x509_certificate(pki.seal_certificate_path.read_bytes())
    assert signer.signing_cert is not None
    assert signer.signing_cert.dump() == attendu.public_bytes(serialization.Encoding.DER)


async def test_embedded_timestamper_answers_pyhanko_from_the_in_process_tsa(plateforme: Plateforme) -> None:
    plateforme.horloge.instant = datetime(2026, 3, 16, 20, 0, tzinfo=UTC)
    timestamper = EmbeddedTimeStamper(plateforme.tsa)
    empreinte = hashlib.sha256(b"avis").digest()

    jeton = await timestamper.async_timestamp(empreinte, "sha256")

    reponse = TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": jeton}).dump()
    assert parse_response(reponse).gen_time == datetime(2026, 3, 16, 20, 0, tzinfo=UTC)
    verify_timestamp(reponse, empreinte, trust_roots=[plateforme.tsa_racine])
    # A request the TSA rejects (SHA-1 is not accepted) surfaces as pyHanko's error.
    with pytest.raises(TimestampRequestError, match="refused"):
        await timestamper.async_timestamp(hashlib.sha1(b"avis").digest(), "sha1")  # noqa: S324


async def test_sceller_pdf_needs_an_aware_instant(plateforme: Plateforme) -> None:
    with pytest.raises(ValueError, match="timezone"):
        await sceller_pdf(
            b"%PDF-1.7",
            SceauPdf(signer=plateforme.pki.seal_signer()),
            le=EMISSION.replace(tzinfo=None),
            motif="x",
        )
