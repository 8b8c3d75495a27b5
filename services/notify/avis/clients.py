"""Calls to consent and the coffre for the avis de mise à disposition (role `service`).

Contracts (designed by the lead): `GET /consent/v1/interne/declarations/{id}/canal` → `{email,
mobile}` of the declaration's current version (404 when purged or unknown);
`POST /coffre/v1/interne/actes/{id}/lien` → `{url, expire_le,
fuseau}` (fuseau: the acte's legal zone, the destinataire's domicile's);
`POST /coffre/v1/interne/actes/{id}/avis-mise-a-disposition` records the outcome as evidence.
`Definitif` means retrying cannot help; `Transitoire` (and httpx errors) mean try again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import AwareDatetime, BaseModel, ValidationError

from services.notify.runtime import NotifyRuntime
from shared.territoire import FUSEAU_METROPOLE


class Definitif(Exception):
    pass


class Transitoire(Exception):
    pass


class _Canal(BaseModel):
    email: str | None = None
    mobile: str | None = None


class _Lien(BaseModel):
    url: str
    expire_le: AwareDatetime | None = None
    fuseau: str = FUSEAU_METROPOLE


@dataclass(frozen=True)
class Lien:
    url: str
    expire_le: datetime | None
    fuseau: str  # the destinataire's legal time zone (the acte's)


@dataclass(frozen=True)
class Canal:
    email: str | None
    mobile: str | None


def _check(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code in (404, 410):
        raise Definitif(f"{what} : introuvable ({response.status_code})")
    if response.status_code // 100 != 2:
        raise Transitoire(f"{what} : réponse {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise Transitoire(f"{what} : réponse illisible") from exc
    if not isinstance(body, dict):
        raise Transitoire(f"{what} : réponse inattendue")
    return body


def _headers(notify: NotifyRuntime, audience: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {notify.tokens.token_for(audience)}"}


async def canal(notify: NotifyRuntime, declaration_id: str) -> Canal:
    base = notify.settings.url_of("consent")
    response = await notify.http.get(
        f"{base}/consent/v1/interne/declarations/{quote(declaration_id, safe='')}/canal",
        headers=_headers(notify, "consent"),
    )
    try:
        parsed = _Canal.model_validate(_check(response, "canal du destinataire"))
    except ValidationError as exc:
        raise Transitoire("canal du destinataire : réponse inattendue") from exc
    return Canal(email=parsed.email, mobile=parsed.mobile)


async def lien(notify: NotifyRuntime, acte_id: str) -> Lien:
    base = notify.settings.url_of("coffre")
    response = await notify.http.post(
        f"{base}/coffre/v1/interne/actes/{quote(acte_id, safe='')}/lien", headers=_headers(notify, "coffre")
    )
    try:
        parsed = _Lien.model_validate(_check(response, "lien de retrait"))
    except ValidationError as exc:
        raise Transitoire("lien de retrait : réponse inattendue") from exc
    try:
        ZoneInfo(parsed.fuseau)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise Transitoire("lien de retrait : fuseau inconnu") from exc
    return Lien(url=parsed.url, expire_le=parsed.expire_le, fuseau=parsed.fuseau)


async def rapporter(notify: NotifyRuntime, acte_id: str, corps: dict[str, Any]) -> None:
    base = notify.settings.url_of("coffre")
    response = await notify.http.post(
        f"{base}/coffre/v1/interne/actes/{quote(acte_id, safe='')}/avis-mise-a-disposition",
        json=corps,
        headers=_headers(notify, "coffre"),
    )
    if response.status_code // 100 != 2:
        raise Transitoire(f"rapport au coffre : réponse {response.status_code}")
