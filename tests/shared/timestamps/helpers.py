"""Requests, an outside judge (`openssl ts -verify`) and made-to-order PKIs for the timestamp tests."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.timestamps.authority import TsaCredentials, TsaPrivateKey

NOW = datetime(2026, 3, 2, 14, 30, 15, 123456, tzinfo=UTC)
DIGEST = hashlib.sha256(b"acte signifie le 2 mars 2026").digest()


def request(
    digest: bytes = DIGEST, *, hash_alg: str = "sha256", nonce: int | None = 42, cert_req: bool = True
) -> bytes:
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": hash_alg}, "hashed_message": digest},
        "cert_req": cert_req,
    }
    if nonce is not None:
        fields["nonce"] = nonce
    return bytes(tsp.TimeStampReq(fields).dump())


def _pem(path: Path, certificates: Sequence[x509.Certificate]) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates))
    return path


def openssl_verify(
    tmp_path: Path,
    response: bytes,
    digest: bytes,
    *,
    roots: Sequence[x509.Certificate],
    untrusted: Sequence[x509.Certificate] = (),
) -> subprocess.CompletedProcess[str]:
    """`openssl ts -verify -digest <hex> -in resp.tsr -CAfile root.pem [-untrusted tsa.pem]`."""
    (tmp_path / "resp.tsr").write_bytes(response)
    command = ["openssl", "ts", "-verify", "-digest", digest.hex(), "-in", str(tmp_path / "resp.tsr")]
    command += ["-CAfile", str(_pem(tmp_path / "root.pem", roots))]
    if untrusted:
        command += ["-untrusted", str(_pem(tmp_path / "untrusted.pem", untrusted))]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def openssl_ok(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == 0 and "Verification: OK" in result.stdout


def make_credentials(
    *,
    key_type: str = "ec",
    eku: Sequence[x509.ObjectIdentifier] = (ExtendedKeyUsageOID.TIME_STAMPING,),
    eku_critical: bool = True,
    not_before: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    not_after: datetime = datetime(2030, 1, 1, tzinfo=UTC),
) -> TsaCredentials:
    """A root and a TSA certificate built to order, to test what verification refuses."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Racine de test")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    tsa_key: TsaPrivateKey
    if key_type == "rsa":
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif key_type == "ed25519":
        tsa_key = ed25519.Ed25519PrivateKey.generate()
    else:
        tsa_key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"TSA de test {key_type}")]))
        .issuer_name(root_name)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(tsa_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=eku_critical)
    certificate = builder.sign(root_key, hashes.SHA256())
    return TsaCredentials(private_key=tsa_key, certificate=certificate, chain=(root,), development=False)


def _key_usage(*, digital_signature: bool = False, key_cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
