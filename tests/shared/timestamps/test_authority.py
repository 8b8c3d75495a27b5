from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.crypto import keys
from shared.timestamps import authority
from shared.timestamps.authority import TsaCredentials, load_or_create_dev_tsa, load_tsa


def test_generates_files_with_safe_modes_and_a_dev_marker(tmp_path: Path) -> None:
    directory = tmp_path / "var" / "keys" / "tsa"
    credentials = load_or_create_dev_tsa(directory)
    key_path = directory / authority.KEY_FILE
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert (directory / "tsa.key.pem.dev").is_file()
    assert credentials.development
    with pytest.raises(keys.DevelopmentKeyRefusedError):
        keys.refuse_development_key(key_path)
    assert isinstance(credentials.private_key, ec.EllipticCurvePrivateKey)
    assert isinstance(credentials.private_key.curve, ec.SECP256R1)


def test_reloads_the_same_material(tmp_path: Path) -> None:
    first = load_or_create_dev_tsa(tmp_path)
    second = load_or_create_dev_tsa(tmp_path)
    assert second.certificate == first.certificate
    assert second.chain == first.chain
    assert load_tsa(tmp_path).certificate == first.certificate


def test_certificates_say_they_are_not_qualified(credentials: TsaCredentials) -> None:
    for certificate in (credentials.certificate, credentials.root):
        subject = certificate.subject
        assert "non qualifiée" in subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert "NON QUALIFIÉ" in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        assert "non qualifié" in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value
    assert credentials.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Signif TSA de développement (non qualifiée)"
    )


def test_tsa_certificate_profile(credentials: TsaCredentials) -> None:
    cert, root = credentials.certificate, credentials.root
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cert.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    assert credentials.chain == (root,)


def test_root_private_key_is_not_kept(tmp_path: Path) -> None:
    load_or_create_dev_tsa(tmp_path)
    private_files = [p.name for p in tmp_path.iterdir() if b"PRIVATE KEY" in p.read_bytes()]
    assert private_files == [authority.KEY_FILE]


def test_repr_redacts_the_key(credentials: TsaCredentials) -> None:
    text = repr(credentials)
    assert "redacted" in text
    assert "PRIVATE" not in text
    assert "development=True" in text


def test_a_key_that_does_not_match_the_certificate_is_refused(tmp_path: Path) -> None:
    load_or_create_dev_tsa(tmp_path / "a")
    load_or_create_dev_tsa(tmp_path / "b")
    (tmp_path / "a" / authority.KEY_FILE).write_bytes((tmp_path / "b" / authority.KEY_FILE).read_bytes())
    with pytest.raises(ValueError, match="does not match"):
        load_tsa(tmp_path / "a")


def test_a_half_written_directory_is_regenerated(tmp_path: Path) -> None:
    (tmp_path / authority.CERT_FILE).write_text("garbage from a crash")
    credentials = load_or_create_dev_tsa(tmp_path)
    assert credentials.certificate.public_key() == credentials.private_key.public_key()


def test_concurrent_first_starts_agree(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = list(pool.map(lambda _: load_or_create_dev_tsa(tmp_path), range(8)))
    assert len({c.certificate.serial_number for c in loaded}) == 1
