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
        self.service = service
        self.ttl = ttl
        self._key_path = key_path
        self._issuer_name = issuer
        self._production = production
        self._issuer: DevIssuer | None = None
        self._cache: dict[str, tuple[str, float]] = {}

    def _load(self) -> DevIssuer:
        # Loaded on first use: a service that never calls another needs no key.
        if self._issuer is None:
            if self._production and is_dev_key(self._key_path):
                raise DevelopmentKeyRefused("production refuses a generated development service key")
            self._issuer = DevIssuer(
                self._key_path.parent,
                issuer=self._issuer_name,
                allow_create=not self._production,
                key_file=self._key_path.name,
            )
        return self._issuer

    def token_for(self, audience: str) -> str:
        cached = self._cache.get(audience)
        if cached is not None and cached[1] - time.time() > self.ttl / 2:
            return cached[0]
        token = self._load().token(
            role="service", sub=f"service:{self.service}", audience=audience, ttl=self.ttl
        )
        self._cache[audience] = (token, time.time() + self.ttl)
        return token
