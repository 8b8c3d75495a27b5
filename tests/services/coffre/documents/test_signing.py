"""PAdES signing and the development PKI behind `signif dev sign`."""

from __future__ import annotations

import asyncio
import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from services.coffre.documents import dev_sign, signer_pdf, signer_pdf_octets, valider_acte
from shared import devpki
from shared.testing import pdfs
from shared.testing.pki import ThrowawayPki

from .conftest import NOW, SIGNED_AT


def test_signer_pdf_writes_a_valid_signed_file(tmp_path: Path, pki: ThrowawayPki) -> None:
    source, cible = tmp_path / "acte.pdf", tmp_path / "acte-signe.pdf"
    source.write_bytes(pdfs.acte_pdfa())

    signer_pdf(source, cible, pki.valid.signer(), at=SIGNED_AT)

    signed = cible.read_bytes()
    assert signed.startswith(source.read_bytes())  # an incremental update: the original bytes are kept
    assert b"/ETSI.CAdES.detached" in signed
    rapport = asyncio.run(valider_acte(cible, trust_roots=[pki.trusted_root], at=NOW))
    assert rapport.signatures[0].signe_le == SIGNED_AT
    assert set(tmp_path.iterdir()) == {source, cible}  # no temporary file left behind


def test_signing_time_must_be_aware(pki: ThrowawayPki) -> None:
    with pytest.raises(ValueError, match="timezone"):
        signer_pdf_octets(pdfs.acte_pdfa(), pki.valid.signer(), at=SIGNED_AT.replace(tzinfo=None))


def test_dev_sign_end_to_end(tmp_path: Path) -> None:
    var = tmp_path / "var"
    source, cible = tmp_path / "acte.pdf", tmp_path / "acte-signe.pdf"
    source.write_bytes(pdfs.acte_pdfa())

    dev_sign(source, cible, var)

    ca_pem = devpki.ca_certificate_path(var)
    assert ca_pem == var / "keys" / "devpki" / "ca.cert.pem"
    rapport = asyncio.run(valider_acte(cible, trust_roots=[ca_pem], at=dt.datetime.now(dt.UTC)))
    [signature] = rapport.signatures
    assert signature.signataire == devpki.DEV_SIGNER_NAME == "Maître Camille Démo, commissaire de justice"
    assert signature.emetteur == devpki.DEV_CA_NAME == "Signif CA de développement — non qualifiée"


def test_dev_pki_files_permissions_and_markers(tmp_path: Path) -> None:
    pki = devpki.load_or_create(tmp_path / "devpki")

    for key in ("ca.key.pem", "signer.key.pem"):
        path = pki.directory / key
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert devpki.is_dev_key(path)
    assert stat.S_IMODE(pki.directory.stat().st_mode) == 0o700
    assert not devpki.is_dev_key(pki.ca_certificate_path)


def test_dev_pki_signer_certificate(tmp_path: Path) -> None:
    now = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
    pki = devpki.load_or_create(tmp_path / "devpki", now=now)
    cert = x509.load_pem_x509_certificate(pki.signer_certificate_path.read_bytes())
    ca = pki.ca_certificate()

    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == devpki.DEV_SIGNER_NAME
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert cert.not_valid_after_utc == now + dt.timedelta(days=3 * 365)
    assert cert.not_valid_before_utc <= now
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_dev_pki_is_created_once(tmp_path: Path) -> None:
    first = devpki.load_or_create(tmp_path / "devpki")
    ca_pem = first.ca_certificate_path.read_bytes()
    key_pem = first.signer_key_path.read_bytes()

    again = devpki.load_or_create(tmp_path / "devpki")

    assert again.ca_certificate_path.read_bytes() == ca_pem
    assert again.signer_key_path.read_bytes() == key_pem
    # no staging directory left behind, only the creation lock beside the PKI
    assert sorted(p.name for p in tmp_path.iterdir()) == [".devpki.lock", "devpki"]


def test_incomplete_dev_pki_is_not_overwritten(tmp_path: Path) -> None:
    directory = tmp_path / "devpki"
    directory.mkdir()
    (directory / "ca.cert.pem").write_text("partial")
    with pytest.raises(FileExistsError):
        devpki.load_or_create(directory)
    assert (directory / "ca.cert.pem").read_text() == "partial"
