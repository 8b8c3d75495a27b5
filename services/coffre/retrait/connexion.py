"""Client of consent's destinataire sign-in (contracts.md) and verification of its tokens.

`commencer(email, mot_de_passe)` → `defi_id`; `confirmer(defi_id, code)` → the destinataire JWT,
verified here before any use: EdDSA only, signature by a key of consent's JWKS
(`GET /consent/v1/.well-known/jwks.json`, cached `JWKS_TTL`, refetched once on an unknown `kid`),
`aud` "coffre", `iss` "signif-consent", `exp` required (wall clock, as consent mints it), `role`
"destinataire", a `sub`, a list `declarations` and `sid`, consent's session. A commissaire's token
(another issuer key, another role) never verifies. `espace(sid)` asks consent whether that session
still lives (and the person's declarations now); `terminer(sid)` ends it (sign-out).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt
from jwt.algorithms import OKPAlgorithm

from shared.service_tokens import ServiceTokens

ISSUER = "signif-consent"
JWKS_TTL = timedelta(minutes=5)


class ConnexionRefusee(Exception):
    """Sign-in failed; `code` is consent's problem code (`authentification`, `trop-de-requetes`...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class ConsentInjoignable(Exception):
    pass


@dataclass(frozen=True)
class Destinataire:
    sub: str
    declarations: list[str]
    exp: int
    sid: str


@dataclass(frozen=True)
class SessionVivante:
    declarations: list[str]
    resumes: list[dict[str, Any]]  # consent's `ResumeDeclaration`s: id, numero, statut, natures, debut, fin


class DestinataireClient:
    def __init__(self, base_url: str, http: httpx.AsyncClient, tokens: ServiceTokens) -> None:
        self.base = f"{base_url}/consent/v1"
        self._http = http
        self._tokens = tokens
        self._jwks: dict[str, Any] | None = None
        self._jwks_le: datetime | None = None

    async def _post(
        self, path: str, corps: dict[str, str] | None, *, methode: str = "POST"
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._tokens.token_for('consent')}"}
        try:
            reponse = await self._http.request(methode, f"{self.base}{path}", json=corps, headers=headers)
        except httpx.HTTPError as exc:
            raise ConsentInjoignable(type(exc).__name__) from exc
        if reponse.status_code == 204:
            return {}
        if reponse.status_code >= 500:
            raise ConsentInjoignable(f"HTTP {reponse.status_code}")
        try:
            donnees = reponse.json()
        except ValueError as exc:
            raise ConsentInjoignable("réponse illisible") from exc
        if reponse.status_code != 200 or not isinstance(donnees, dict):
            code = donnees.get("code") if isinstance(donnees, dict) else None
            raise ConnexionRefusee(str(code or "authentification"))
        return donnees

    async def commencer(self, email: str, mot_de_passe: str) -> str:
        donnees = await self._post(
            "/interne/destinataires/connexion", {"email": email, "mot_de_passe": mot_de_passe}
        )
        return str(donnees["defi_id"])

    async def confirmer(self, defi_id: str, code: str, *, now: datetime) -> tuple[str, Destinataire]:
        donnees = await self._post(f"/interne/destinataires/connexion/{defi_id}/code", {"code": code})
        jeton = str(donnees.get("jeton", ""))
        return jeton, await self.verifier(jeton, now=now)

    async def espace(self, sid: str) -> SessionVivante | None:
        """Her declarations (ids and what her space lists of each) if consent's session `sid` still
        lives, else None."""
        try:
            donnees = await self._post(f"/interne/destinataires/sessions/{sid}", None, methode="GET")
        except ConnexionRefusee:
            return None
        declarations = donnees.get("declarations")
        if not isinstance(declarations, list):
            return None
        resumes = donnees.get("resumes")
        return SessionVivante(
            declarations=[str(d) for d in declarations],
            resumes=[r for r in resumes if isinstance(r, dict)] if isinstance(resumes, list) else [],
        )

    async def passage(self, sid: str) -> str | None:
        """A one-time ticket to her personal space at consent for the live session `sid`, else None
        (`services.consent.comptes.passage`)."""
        try:
            donnees = await self._post(f"/interne/destinataires/sessions/{sid}/passage", None)
        except ConnexionRefusee:
            return None
        ticket = donnees.get("ticket")
        return ticket if isinstance(ticket, str) else None

    async def terminer(self, sid: str) -> None:
        """End consent's session `sid` (the coffre's sign-out)."""
        await self._post(f"/interne/destinataires/sessions/{sid}/fin", None)

    async def _cles(self, *, now: datetime, forcer: bool = False) -> dict[str, Any]:
        if forcer or self._jwks is None or self._jwks_le is None or now - self._jwks_le > JWKS_TTL:
            try:
                reponse = await self._http.get(f"{self.base}/.well-known/jwks.json")
                reponse.raise_for_status()
                jwks = reponse.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise ConsentInjoignable("JWKS indisponible") from exc
            if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
                raise ConsentInjoignable("JWKS invalide")
            self._jwks, self._jwks_le = jwks, now
        return self._jwks

    async def verifier(self, jeton: str, *, now: datetime) -> Destinataire:
        """The verified destinataire, else `ConnexionRefusee("authentification")`."""
        try:
            kid = jwt.get_unverified_header(jeton).get("kid")
        except jwt.PyJWTError as exc:
            raise ConnexionRefusee("authentification") from exc
        jwk = _cle(await self._cles(now=now), kid)
        if jwk is None:
            jwk = _cle(await self._cles(now=now, forcer=True), kid)
        if jwk is None:
            raise ConnexionRefusee("authentification")
        try:
            cle = OKPAlgorithm.from_jwk(json.dumps(jwk))
            claims = jwt.decode(
                jeton,
                key=cle,  # type: ignore[arg-type]
                algorithms=["EdDSA"],
                audience="coffre",
                issuer=ISSUER,
                options={"require": ["exp", "sub", "aud", "iss"], "verify_iat": False},
                leeway=5,
            )
        except jwt.PyJWTError as exc:
            raise ConnexionRefusee("authentification") from exc
        declarations, sid = claims.get("declarations"), claims.get("sid")
        if (
            claims.get("role") != "destinataire"
            or not isinstance(declarations, list)
            or not isinstance(sid, str)
        ):
            raise ConnexionRefusee("authentification")
        return Destinataire(str(claims["sub"]), [str(d) for d in declarations], int(claims["exp"]), sid)


def _cle(jwks: dict[str, Any], kid: object) -> dict[str, Any] | None:
    for jwk in jwks["keys"]:
        if isinstance(jwk, dict) and (kid is None or jwk.get("kid") == kid):
            return jwk
    return None
