"""The development PKI: a non-qualified root CA and a demo commissaire signing certificate.

The embedded deployment must let anyone walk the whole flow on a laptop, so it needs a signed PDF acte
whose signature chains to a root the coffre trusts. On first use this module creates, in one directory
(by convention `<var>/keys/devpki/`):

    ca.cert.pem        "Signif CA de développement — non qualifiée" (self-signed, 10 years)
    ca.key.pem         its ECDSA P-256 key (0600) + `ca.key.pem.dev` marker
    signer.cert.pem    "Maître Camille Démo, commissaire de justice" (3 years,
                       keyUsage digitalSignature + nonRepudiation, critical)
    signer.key.pem     its ECDSA P-256 key (0600) + `signer.key.pem.dev` marker

and, on first call of `load_or_create_seal` (so PKIs created before it gain it later):

    seal.cert.pem      "Signif — cachet plateforme (développement, non qualifié)", issued by
                       the same CA (3 years, capped at the CA's end; keyUsage digitalSignature +
                       nonRepudiation, critical): the platform's PAdES seal on the documents the
                       coffre issues (avis de réception, certificat de signification, lettre simple)
    seal.key.pem       its ECDSA P-256 key (0600) + `seal.key.pem.dev` marker

Threat model: these keys are development material only. The `.dev` markers let a production start-up
refuse them (same convention as `shared.issuer`), the CA name says "non qualifiée", and nothing here
is an eIDAS qualified signature. Production trusts only the roots of `COFFRE_TRUST_ROOTS`.

Creation is exclusive and atomic: one process at a time, under a lock file beside the directory,
writes the files into a temporary sibling directory which is renamed into place, so processes
starting together create the PKI exactly once and never see half of it (the others adopt it). The
seal is added later under an exclusive lock on the directory, certificate first and key last, so
its key file appearing means the pair is complete.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.sign.signers import SimpleSigner

from shared.crypto import keys

DEV_CA_NAME = "Signif CA de développement — non qualifiée"
DEV_SIGNER_NAME = "Maître Camille Démo, commissaire de justice"
# A commonName holds at most 64 bytes (RFC 5280 ub-common-name, checked on the UTF-8 by
# `cryptography`), hence "cachet plateforme" rather than "cachet de la plateforme".
DEV_SEAL_NAME = "Signif — cachet plateforme (développement, non qualifié)"
DEV_MARKER_SUFFIX = ".dev"

CA_CERT_FILE = "ca.cert.pem"
CA_KEY_FILE = "ca.key.pem"
SIGNER_CERT_FILE = "signer.cert.pem"
SIGNER_KEY_FILE = "signer.key.pem"
SEAL_CERT_FILE = "seal.cert.pem"
SEAL_KEY_FILE = "seal.key.pem"

_CA_LIFETIME = dt.timedelta(days=3650)
_SIGNER_LIFETIME = dt.timedelta(days=3 * 365)
# Back-date notBefore a little so a clock slightly behind the issuer's still accepts a fresh cert.
_BACKDATE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class DevPki:
    """Paths of an existing development PKI; `signer()` loads the demo commissaire's pyHanko signer."""

    directory: Path

    @property
    def ca_certificate_path(self) -> Path:
        return self.directory / CA_CERT_FILE

    @property
    def signer_certificate_path(self) -> Path:
        return self.directory / SIGNER_CERT_FILE

    @property
    def signer_key_path(self) -> Path:
        return self.directory / SIGNER_KEY_FILE

    def ca_certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.ca_certificate_path.read_bytes())

    @property
    def seal_certificate_path(self) -> Path:
        return self.directory / SEAL_CERT_FILE

    @property
    def seal_key_path(self) -> Path:
        return self.directory / SEAL_KEY_FILE

    def signer(self) -> SimpleSigner:
        return self._load_signer(self.signer_key_path, self.signer_certificate_path)

    def seal_signer(self) -> SimpleSigner:
        """The platform seal's pyHanko signer (the seal must exist: see `load_or_create_seal`)."""
        return self._load_signer(self.seal_key_path, self.seal_certificate_path)

    def _load_signer(self, key_path: Path, certificate_path: Path) -> SimpleSigner:
        loaded = SimpleSigner.load(  # type: ignore[no-untyped-call]
            key_file=str(key_path),
            cert_file=str(certificate_path),
            ca_chain_files=(str(self.ca_certificate_path),),
        )
        if loaded is None:  # pyHanko logs and returns None on unreadable key material
            raise ValueError(f"clé ou certificat de signature illisible dans {self.directory}")
        signer: SimpleSigner = loaded
        return signer


def devpki_directory(var_dir: Path) -> Path:
    """Where the embedded deployment keeps its development PKI."""
    return var_dir / "keys" / "devpki"


def load_or_create(directory: Path, *, now: dt.datetime | None = None) -> DevPki:
    """Return the development PKI in `directory`, creating it on first use.

    Any number of processes may call this at once on a fresh directory: creation happens under an
    exclusive lock beside the directory, so exactly one of them generates the PKI and the others,
    once the lock is theirs, find it complete and adopt it. The files appear together (renamed into
    place from a staging directory), so a reader that takes no lock never sees half a PKI.
    """
    pki = DevPki(directory)
    if _complete(directory):
        return pki
    with keys.directory_lock(directory.parent, ".devpki.lock"):
        if _complete(directory):  # created by another process while we waited for the lock
            return pki
        if directory.exists() and any(directory.iterdir()):
            raise FileExistsError(f"{directory} contient une PKI de développement incomplète ; supprimez-la")
        staging = Path(tempfile.mkdtemp(prefix=".devpki-", dir=directory.parent))
        try:
            _generate_into(staging, now=now or dt.datetime.now(dt.UTC))
            if directory.exists():
                directory.rmdir()  # empty (checked above, under the lock); os.rename needs it gone
            staging.rename(directory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return pki


def ca_certificate_path(var_dir: Path) -> Path:
    """The development CA certificate (PEM) to add to the coffre's trust roots; created if missing."""
    return load_or_create(devpki_directory(var_dir)).ca_certificate_path


def dev_signer(var_dir: Path) -> SimpleSigner:
    """The demo commissaire's pyHanko signer; the PKI is created if missing."""
    return load_or_create(devpki_directory(var_dir)).signer()


def is_dev_key(path: Path) -> bool:
    return path.with_name(path.name + DEV_MARKER_SUFFIX).exists()


def load_or_create_seal(directory: Path, *, now: dt.datetime | None = None) -> DevPki:
    """The development PKI in `directory` with its platform seal, creating either on first use."""
    pki = load_or_create(directory, now=now)
    if not pki.seal_key_path.is_file():
        with keys.directory_lock(directory, ".seal.lock"):
            if not pki.seal_key_path.is_file():  # another process may have issued it while we waited
                _issue_seal_into(directory, now=now or dt.datetime.now(dt.UTC))
    return pki


def dev_seal_signer(var_dir: Path, *, now: dt.datetime | None = None) -> SimpleSigner:
    """The platform seal's pyHanko signer (development, non-qualified); created if missing, valid from
    `now` (the service's clock: what it seals is dated by that clock, and checked at that date)."""
    return load_or_create_seal(devpki_directory(var_dir), now=now).seal_signer()


# -- certificate building, shared with shared.testing.pki ---------------------------------------------


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Signif (développement)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def build_root_ca(
    common_name: str, key: ec.EllipticCurvePrivateKey, *, not_before: dt.datetime, not_after: dt.datetime
) -> x509.Certificate:
    """A self-signed root: basicConstraints CA (critical), keyCertSign + cRLSign."""
    name = _name(common_name)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


def issue_signing_certificate(
    common_name: str,
    public_key: ec.EllipticCurvePublicKey,
    *,
    issuer: x509.Certificate,
    issuer_key: ec.EllipticCurvePrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.Certificate:
    """An end-entity document-signing certificate: digitalSignature + nonRepudiation (critical)."""
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .sign(issuer_key, hashes.SHA256())
    )


def _key_usage(
    *, digital_signature: bool = False, content_commitment: bool = False, key_cert_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _generate_into(directory: Path, *, now: dt.datetime) -> None:
    ca_key = new_key()
    ca = build_root_ca(DEV_CA_NAME, ca_key, not_before=now - _BACKDATE, not_after=now + _CA_LIFETIME)
    signer_key = new_key()
    signer = issue_signing_certificate(
        DEV_SIGNER_NAME,
        signer_key.public_key(),
        issuer=ca,
        issuer_key=ca_key,
        not_before=now - _BACKDATE,
        not_after=now + _SIGNER_LIFETIME,
    )
    _write_private_key(directory / CA_KEY_FILE, ca_key)
    _write_private_key(directory / SIGNER_KEY_FILE, signer_key)
    (directory / CA_CERT_FILE).write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / SIGNER_CERT_FILE).write_bytes(signer.public_bytes(serialization.Encoding.PEM))


def _issue_seal_into(directory: Path, *, now: dt.datetime) -> None:
    ca = x509.load_pem_x509_certificate((directory / CA_CERT_FILE).read_bytes())
    ca_key = serialization.load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{directory / CA_KEY_FILE} is not the ECDSA key of the development CA")
    seal_key = new_key()
    seal = issue_signing_certificate(
        DEV_SEAL_NAME,
        seal_key.public_key(),
        issuer=ca,
        issuer_key=ca_key,
        not_before=now - _BACKDATE,
        not_after=min(now + _SIGNER_LIFETIME, ca.not_valid_after_utc),
    )
    # Certificate first, key last: the key's presence means the pair is complete.
    keys.write_atomic(directory / SEAL_CERT_FILE, seal.public_bytes(serialization.Encoding.PEM), mode=0o644)
    keys.write_dev_private_key(directory / SEAL_KEY_FILE, seal_key)


def _write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    path.with_name(path.name + DEV_MARKER_SUFFIX).write_text("generated development key\n")


def _complete(directory: Path) -> bool:
    return all(
        (directory / name).is_file()
        for name in (CA_CERT_FILE, CA_KEY_FILE, SIGNER_CERT_FILE, SIGNER_KEY_FILE)
    )
