"""The TSA's key and certificates: a development PKI generated on first use, or provisioned files.

Files in the TSA directory (e.g. `var/keys/tsa/`):

    tsa.key.pem        the TSA signing key (PKCS#8 PEM, 0600); `tsa.key.pem.dev` beside it when generated
    tsa.cert.pem       the TSA certificate (EKU id-kp-timeStamping, critical, as RFC 3161 §2.3 requires)
    tsa-chain.pem      the issuers of the TSA certificate up to and including the root, in that order

The development PKI is an ECDSA P-256 root and TSA certificate, both named as *non-qualified* in
their subject (CN, O and OU), so no one can mistake a development token for a qualified timestamp
(eIDAS art. 42). The root's private key is used once to issue the TSA certificate and then thrown
away: nothing can issue another certificate under this root. The certificates are backdated to
2020-01-01 and valid until 2075, so that a pinned test clock (`SIGNIF_NOW`) anywhere in that range
still falls inside their validity. ECDSA P-256 with SHA-256 is what `openssl ts -verify` (OpenSSL 3,
PKCS#7 code path) and every qualified TSA client accept.

Production provisions these three files from a qualified TSA's material (or uses an external TSA by
URL and needs only the chain to verify) and refuses the generated key (`.dev` marker).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.crypto import keys

KEY_FILE = "tsa.key.pem"
CERT_FILE = "tsa.cert.pem"
CHAIN_FILE = "tsa-chain.pem"

NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2075, 1, 1, tzinfo=dt.UTC)

ROOT_CN = "Signif AC racine de développement (non qualifiée)"
TSA_CN = "Signif TSA de développement (non qualifiée)"
ORGANIZATION = "Signif - environnement de développement, NON QUALIFIÉ"
ORGANIZATIONAL_UNIT = "Horodatage non qualifié (eIDAS) - ne pas utiliser en production"

TsaPrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class TsaCredentials:
    """The TSA signing key, its certificate and the issuer chain up to the root (root last)."""

    private_key: TsaPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    development: bool

    def __repr__(self) -> str:
        return (
            f"TsaCredentials(subject={self.certificate.subject.rfc4514_string()!r}, "
            f"development={self.development}, private_key=<redacted>)"
        )

    @property
    def root(self) -> x509.Certificate:
        return self.chain[-1] if self.chain else self.certificate


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ORGANIZATIONAL_UNIT),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _issue_root(root_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = _name(ROOT_CN)
    public = root_key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(root_key, hashes.SHA256())
    )


def _issue_tsa(
    tsa_key: ec.EllipticCurvePrivateKey, root: x509.Certificate, root_key: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    public = tsa_key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(TSA_CN))
        .issuer_name(root.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def _generate(directory: Path) -> None:
    root_key = ec.generate_private_key(ec.SECP256R1())
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    root = _issue_root(root_key)
    tsa = _issue_tsa(tsa_key, root, root_key)
    del root_key  # never persisted: nothing else can ever be issued under this root
    # Certificates first, key last: the key's presence means the set is complete.
    keys.write_atomic(directory / CHAIN_FILE, _pem(root), mode=0o644)
    keys.write_atomic(directory / CERT_FILE, _pem(tsa), mode=0o644)
    keys.write_dev_private_key(directory / KEY_FILE, tsa_key)


def load_or_create_dev_tsa(directory: Path) -> TsaCredentials:
    """Load the TSA material in `directory`, generating the development PKI there if it has none."""
    if not (directory / KEY_FILE).exists():
        with keys.directory_lock(directory):
            if not (directory / KEY_FILE).exists():
                _generate(directory)
    return load_tsa(directory)


def load_tsa(directory: Path) -> TsaCredentials:
    """Load provisioned or generated TSA material; the key must match the certificate."""
    key_path = directory / KEY_FILE
    private_key = keys.load_private_key(key_path)
    if not isinstance(
        private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise ValueError(f"{key_path}: a TSA key is ECDSA, RSA or Ed25519")
    certificate = x509.load_pem_x509_certificate((directory / CERT_FILE).read_bytes())
    chain_path = directory / CHAIN_FILE
    chain = tuple(x509.load_pem_x509_certificates(chain_path.read_bytes())) if chain_path.exists() else ()
    if certificate.public_key() != private_key.public_key():
        raise ValueError(f"{key_path} does not match the public key of {directory / CERT_FILE}")
    return TsaCredentials(
        private_key=private_key, certificate=certificate, chain=chain, development=keys.is_dev_key(key_path)
    )
