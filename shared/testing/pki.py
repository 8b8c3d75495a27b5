"""Throw-away PKIs for tests: a trusted root, an untrusted root, and signers in every validity state.

Everything is generated with `cryptography.x509` (ECDSA P-256, fast) relative to an injected `now`,
so a test can sign "in the past" and validate "today" without touching the clock:

    valid           trusted root, valid from now-30d to now+365d
    expired         trusted root, valid from now-400d to now-30d   (sign at `expired_signing_time`)
    not_yet_valid   trusted root, valid from now+30d to now+400d
    untrusted       issued by a root the validator does not trust, otherwise like `valid`
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from shared.devpki import build_root_ca, issue_signing_certificate, new_key

TRUSTED_ROOT_NAME = "Racine de test de confiance"
UNTRUSTED_ROOT_NAME = "Racine de test inconnue"


@dataclass(frozen=True)
class SigningIdentity:
    """A signing certificate, its key and its issuer; `signer()` builds a pyHanko signer."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    issuer: x509.Certificate

    def signer(self) -> SimpleSigner:
        return SimpleSigner(
            signing_cert=_asn1_cert(self.certificate),
            signing_key=asn1_keys.PrivateKeyInfo.load(
                self.key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [_asn1_cert(self.issuer)]
            ),
        )


@dataclass(frozen=True)
class ThrowawayPki:
    now: dt.datetime
    trusted_root: x509.Certificate
    trusted_root_pem: Path
    untrusted_root: x509.Certificate
    valid: SigningIdentity
    expired: SigningIdentity
    not_yet_valid: SigningIdentity
    untrusted: SigningIdentity

    @property
    def expired_signing_time(self) -> dt.datetime:
        """An instant inside the expired certificate's validity period."""
        return self.now - dt.timedelta(days=100)


def build_pki(directory: Path, *, now: dt.datetime) -> ThrowawayPki:
    """Generate a PKI; the trusted root is also written to `directory/trusted-root.pem`."""
    day = dt.timedelta(days=1)
    trusted_key, untrusted_key = new_key(), new_key()
    trusted = build_root_ca(
        TRUSTED_ROOT_NAME, trusted_key, not_before=now - 1000 * day, not_after=now + 3650 * day
    )
    untrusted = build_root_ca(
        UNTRUSTED_ROOT_NAME, untrusted_key, not_before=now - 1000 * day, not_after=now + 3650 * day
    )

    def identity(
        cn: str, root: x509.Certificate, root_key: ec.EllipticCurvePrivateKey, start: int, end: int
    ) -> SigningIdentity:
        key = new_key()
        cert = issue_signing_certificate(
            cn,
            key.public_key(),
            issuer=root,
            issuer_key=root_key,
            not_before=now + start * day,
            not_after=now + end * day,
        )
        return SigningIdentity(certificate=cert, key=key, issuer=root)

    directory.mkdir(parents=True, exist_ok=True)
    pem = directory / "trusted-root.pem"
    pem.write_bytes(trusted.public_bytes(serialization.Encoding.PEM))
    return ThrowawayPki(
        now=now,
        trusted_root=trusted,
        trusted_root_pem=pem,
        untrusted_root=untrusted,
        valid=identity("Maître Alice Valide, commissaire de justice", trusted, trusted_key, -30, 365),
        expired=identity("Maître Bruno Expiré, commissaire de justice", trusted, trusted_key, -400, -30),
        not_yet_valid=identity("Maître Chloé Future, commissaire de justice", trusted, trusted_key, 30, 400),
        untrusted=identity(
            "Maître David Inconnu, commissaire de justice", untrusted, untrusted_key, -30, 365
        ),
    )


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
