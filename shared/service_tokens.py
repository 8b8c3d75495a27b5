"""Tokens a service presents to another (role `service`, audience = the callee).

Development and test: minted with the deployment's generated issuer key. Production: minted with
the key the operator provisions for the platform's services (`SIGNIF_SERVICE_KEY_PATH`), whose
public half the issuer's JWKS publishes; a generated development key is refused there.
"""

from __future__ import annotations

import time
from pathlib import Path

from shared.issuer import DevelopmentKeyRefused, DevIssuer, is_dev_key


class ServiceTokens:
    def __init__(
        self, *, service: str, issuer: str, key_path: Path, production: bool, ttl: int = 300
    ) -> None:
        if production and is_dev_key(key_path):
            raise DevelopmentKeyRefused("production refuses a generated development service key")
        self.service = service
        self.ttl = ttl
        self._issuer = DevIssuer(
            key_path.parent, issuer=issuer, allow_create=not production, key_file=key_path.name
        )
        self._cache: dict[str, tuple[str, float]] = {}

    def token_for(self, audience: str) -> str:
        cached = self._cache.get(audience)
        if cached is not None and cached[1] - time.time() > self.ttl / 2:
            return cached[0]
        token = self._issuer.token(
            role="service", sub=f"service:{self.service}", audience=audience, ttl=self.ttl
        )
        self._cache[audience] = (token, time.time() + self.ttl)
        return token
