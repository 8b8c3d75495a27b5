"""The development token issuer: an Ed25519 key generated on first start, its JWKS beside it.

`signif token issue` and the test-suite mint tokens with it; the services only ever read the public
JWKS. Production uses an external issuer (SIGNIF_JWKS_URL / SIGNIF_JWKS_PATH) and refuses this key:
generated keys carry a `.dev` marker file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

KEY_FILE = "issuer.ed25519.pem"
JWKS_FILE = "issuer.jwks.json"
DEV_MARKER_SUFFIX = ".dev"


class DevelopmentKeyRefused(RuntimeError):
    pass


def is_dev_key(path: Path) -> bool:
    return path.with_name(path.name + DEV_MARKER_SUFFIX).exists()


def load_or_create_ed25519(path: Path, *, allow_create: bool) -> ed25519.Ed25519PrivateKey:
    """Load a PEM Ed25519 key; create it (0600, with a `.dev` marker) when allowed and missing."""
    if not path.exists():
        if not allow_create:
            raise FileNotFoundError(f"key file missing: {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ed25519.Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        path.with_name(path.name + DEV_MARKER_SUFFIX).write_text("generated development key\n")
        os.replace(tmp, path)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ed25519.Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return loaded


def public_jwk(key: ed25519.Ed25519PublicKey) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key))
    # RFC 7638 thumbprint as kid: stable across restarts, changes with the key.
    jwk.update({"kid": _thumbprint(jwk), "alg": "EdDSA", "use": "sig"})
    return jwk


def _thumbprint(jwk: dict[str, Any]) -> str:
    canonical = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class DevIssuer:
    def __init__(
        self,
        keys_dir: Path,
        *,
        issuer: str = "signif-dev",
        allow_create: bool = True,
        key_file: str = KEY_FILE,
    ) -> None:
        self.issuer = issuer
        self.key_path = keys_dir / key_file
        self.jwks_path = keys_dir / JWKS_FILE
        self.key = load_or_create_ed25519(self.key_path, allow_create=allow_create)
        self.jwk = public_jwk(self.key.public_key())
        self.kid: str = self.jwk["kid"]
        self._write_jwks()

    def _write_jwks(self) -> None:
        document = {"keys": [self.jwk]}
        text = json.dumps(document, indent=2, sort_keys=True)
        if not self.jwks_path.exists() or self.jwks_path.read_text() != text:
            tmp = self.jwks_path.with_name(self.jwks_path.name + ".tmp")
            tmp.write_text(text)
            os.replace(tmp, self.jwks_path)

    def mint(self, claims: dict[str, Any], *, ttl: int = 3600, headers: dict[str, Any] | None = None) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex, **claims}
        return jwt.encode(payload, self.key, algorithm="EdDSA", headers={"kid": self.kid, **(headers or {})})

    def token(
        self,
        *,
        role: str,
        sub: str,
        audience: str,
        ttl: int = 3600,
        **extra: Any,
    ) -> str:
        return self.mint({"role": role, "sub": sub, "aud": audience, **extra}, ttl=ttl)
