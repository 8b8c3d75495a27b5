"""Bearer-token authentication and roles.

Threat model: tokens come from one issuer (development: the deployment's own Ed25519 key; production:
an external issuer whose JWKS URL is configured). Verification accepts only asymmetric algorithms
from an allow-list (EdDSA, ES256) and takes the key by `kid` from the JWKS, checking that the key's
type matches the header's algorithm, so `alg: none` and HS256-signed-with-the-public-key tokens die
before any signature check. `iss`, `aud`, `exp`, `iat`, `sub` and `role` are required. Every failure
answers the same opaque 401 `authentification`; a valid token with the wrong role answers 403
`interdit`. Token lifetimes use the wall clock (transport security), not the injectable legal clock.
A token that passed every check is remembered for a minute at most (`TokenVerifier`): its signature
is not checked again while the JWKS still holds the same key; its expiry is checked every time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.errors import Authentification, Interdit
from shared.openapi import Exigence, exige

ALLOWED_ALGORITHMS = ("EdDSA", "ES256")
Role = Literal["commissaire", "operateur", "autorite_judiciaire", "service"]
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


class Office(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    id: str
    nom: str
    commune_insee: str
    cour_appel: str


class Principal(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    sub: str
    role: Role


class Commissaire(Principal):
    nom: str
    office: Office


class Autorite(Principal):
    juridiction: str


class Operateur(Principal):
    pass


class ServicePrincipal(Principal):
    pass


class KeySource:
    """Public keys by `kid`."""

    async def get(self, kid: str) -> tuple[PublicKey, str] | None:  # (key, alg)
        raise NotImplementedError  # pragma: no cover - abstract


def _parse_jwks(document: Mapping[str, Any]) -> dict[str, tuple[PublicKey, str]]:
    keys: dict[str, tuple[PublicKey, str]] = {}
    for jwk in document.get("keys", []):
        kid = jwk.get("kid")
        if not isinstance(kid, str):
            continue
        try:
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                okp = jwt.PyJWK(jwk, algorithm="EdDSA").key
                if isinstance(okp, ed25519.Ed25519PublicKey):
                    keys[kid] = (okp, "EdDSA")
            elif jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
                eck = jwt.PyJWK(jwk, algorithm="ES256").key
                if isinstance(eck, ec.EllipticCurvePublicKey):
                    keys[kid] = (eck, "ES256")
        except (jwt.PyJWKError, ValueError, TypeError):
            continue  # a malformed key in the set is ignored, never trusted
    return keys


class JwksFile(KeySource):
    """A JWKS document on disk, re-read when it changes (key rotation without restart)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime: float | None = None
        self._keys: dict[str, tuple[PublicKey, str]] = {}

    async def get(self, kid: str) -> tuple[PublicKey, str] | None:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return None
        if mtime != self._mtime:
            self._keys = _parse_jwks(json.loads(self.path.read_text()))
            self._mtime = mtime
        return self._keys.get(kid)


class JwksUrl(KeySource):
    """A remote JWKS, cached; an unknown `kid` triggers at most one refresh per `min_refresh` seconds."""

    def __init__(self, url: str, client: httpx.AsyncClient, *, min_refresh: float = 60.0) -> None:
        self.url = url
        self.client = client
        self.min_refresh = min_refresh
        self._fetched_at = 0.0
        self._keys: dict[str, tuple[PublicKey, str]] = {}

    async def get(self, kid: str) -> tuple[PublicKey, str] | None:
        if kid not in self._keys and time.monotonic() - self._fetched_at > self.min_refresh:
            self._fetched_at = time.monotonic()
            response = await self.client.get(self.url, timeout=5.0)
            response.raise_for_status()
            self._keys = _parse_jwks(response.json())
        return self._keys.get(kid)


def _entete(token: str) -> dict[str, Any]:
    """The token's JOSE header, unverified: it only names the key to try (`alg`, `kid`).

    `jwt.decode` parses and checks the whole token again; reading the header here costs a few
    microseconds where `jwt.get_unverified_header` costs a second full parse of the token.
    """
    segment = token.split(".", 1)[0]
    header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    if not isinstance(header, dict):
        raise ValueError("the JOSE header is not an object")
    return header


class _Verifie:
    """A token that passed every check: its key (by identity), claims and when to check it again."""

    __slots__ = ("claims", "exp", "key", "kid", "recheck_at")

    def __init__(
        self, key: PublicKey, kid: str, claims: dict[str, Any], exp: float, recheck_at: float
    ) -> None:
        self.key = key
        self.kid = kid
        self.claims = claims
        self.exp = exp
        self.recheck_at = recheck_at


class TokenVerifier:
    """Verifies bearer tokens; remembers the tokens it verified for a short while.

    A commissaire's client sends the same token with every request until it expires; checking its
    Ed25519 signature again each time gives the same result (verification is deterministic). So a
    verified token is remembered, keyed by the SHA-256 of its text, for at most `cache_ttl` seconds
    and never past its `exp` (+ leeway), and reused only while the key source still returns the very
    key object that verified it (a JWKS file or URL re-read after a change builds new key objects, so
    a rotated or withdrawn key stops the reuse at once). `exp` is checked on every request. At most
    `cache_size` tokens are remembered (oldest forgotten first). `cache_ttl=0` disables it.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: KeySource,
        leeway: float = 30.0,
        cache_ttl: float = 60.0,
        cache_size: int = 4096,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.leeway = leeway
        self.cache_ttl = cache_ttl
        self.cache_size = cache_size
        self._verifies: OrderedDict[bytes, _Verifie] = OrderedDict()

    async def verify(self, token: str) -> dict[str, Any]:
        if self.cache_ttl <= 0:
            return await self._verify(token)
        empreinte = hashlib.sha256(token.encode()).digest()
        connu = self._verifies.get(empreinte)
        if connu is not None:
            now = time.time()
            if now < connu.recheck_at and now < connu.exp + self.leeway:
                found = await self.keys.get(connu.kid)
                if found is not None and found[0] is connu.key:
                    return dict(connu.claims)  # the caller's own copy, as a decode gives
            del self._verifies[empreinte]
        key, kid, claims = await self._verify_with_key(token)
        exp = float(claims["exp"])
        self._verifies[empreinte] = _Verifie(key, kid, dict(claims), exp, time.time() + self.cache_ttl)
        if len(self._verifies) > self.cache_size:
            self._verifies.popitem(last=False)
        return claims

    async def _verify(self, token: str) -> dict[str, Any]:
        return (await self._verify_with_key(token))[2]

    async def _verify_with_key(self, token: str) -> tuple[PublicKey, str, dict[str, Any]]:
        """Every check, in full: (the key that verified it, its kid, the claims)."""
        try:
            header = _entete(token)
        except (ValueError, binascii.Error) as exc:  # json.JSONDecodeError and UnicodeError included
            raise Authentification("Jeton illisible.") from exc
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALLOWED_ALGORITHMS or not isinstance(kid, str):
            raise Authentification("Jeton refusé.")
        found = await self.keys.get(kid)
        if found is None or found[1] != alg:
            raise Authentification("Jeton refusé.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=found[0],
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["iss", "aud", "exp", "iat", "sub", "role"]},
            )
        except jwt.PyJWTError as exc:
            raise Authentification("Jeton refusé.") from exc
        return found[0], kid, claims


_MODELS: dict[str, type[Principal]] = {
    "commissaire": Commissaire,
    "autorite_judiciaire": Autorite,
    "operateur": Operateur,
    "service": ServicePrincipal,
}


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Authentification("Jeton d'accès manquant.")
    return token.strip()


def require_role(role: Role) -> Callable[[Request], Any]:
    model = _MODELS[role]

    async def dependency(request: Request) -> Principal:
        verifier: TokenVerifier = request.app.state.token_verifier
        claims = await verifier.verify(_bearer(request))
        if claims.get("role") != role:
            raise Interdit("Ce rôle n'a pas accès à cette ressource.")
        try:
            return model.model_validate(claims)
        except ValidationError as exc:
            # A correctly signed token lacking the role's claims (e.g. no office) is not usable.
            raise Authentification("Jeton incomplet pour ce rôle.") from exc

    return exige(
        dependency,
        Exigence(
            securite=({"jeton": []},),
            appelant=f"un jeton du rôle `{role}` (`Authorization: Bearer <JWT>`)",
            refus=(Authentification, Interdit),
        ),
    )


CurrentCommissaire = Annotated[Commissaire, Depends(require_role("commissaire"))]
CurrentAutorite = Annotated[Autorite, Depends(require_role("autorite_judiciaire"))]
CurrentOperateur = Annotated[Operateur, Depends(require_role("operateur"))]
CurrentService = Annotated[ServicePrincipal, Depends(require_role("service"))]
