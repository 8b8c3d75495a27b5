"""The development token issuer: an Ed25519 key generated on first start, its JWKS beside it.

`signif token issue` and the test-suite mint tokens with it; the services only ever read the public
JWKS. Production uses an external issuer (SIGNIF_JWKS_URL / SIGNIF_JWKS_PATH) and refuses this key:
generated keys carry a `.dev` marker file.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt

from shared.crypto.jws import public_jwk
from shared.crypto.keys import DevelopmentKeyRefusedError, is_dev_key, load_or_create_ed25519, write_atomic

__all__ = ["DevIssuer", "DevelopmentKeyRefused", "is_dev_key"]

KEY_FILE = "issuer.ed25519.pem"
JWKS_FILE = "issuer.jwks.json"

# One convention for generated keys across the project (shared.crypto.keys).
DevelopmentKeyRefused = DevelopmentKeyRefusedError


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
        self.jwk: dict[str, Any] = dict(public_jwk(self.key.public_key()))
        self.kid: str = self.jwk["kid"]
        self._write_jwks()

    def _write_jwks(self) -> None:
        document = {"keys": [self.jwk]}
        text = json.dumps(document, indent=2, sort_keys=True)
        if not self.jwks_path.exists() or self.jwks_path.read_text() != text:
            write_atomic(self.jwks_path, text.encode(), mode=0o644)

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
