"""ASGI plumbing shared by the services: body size limits and security headers.

Every response also says `Cache-Control: no-store` unless its route chose otherwise (the few public,
cacheable assets: stylesheets, the docs' scripts): API answers carry personal data (a declaration,
the operator's and the authority's views), and no shared or browser cache may keep them.

`BodyLimitMiddleware` refuses a body larger than the limit of its route class, by `Content-Length`
up front and by counting while streaming (chunked uploads), with a 413 problem+json. Routes that
stream large uploads (the acte deposit) get their own, larger limit and enforce it themselves
while writing to storage. It also enforces `LimitesHttp`: request line (414), header count and size
(431), a NUL byte in the path or query (400), and a body arriving too slowly (408).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import (
    PROBLEM_JSON,
    BadRequest,
    DelaiDepasse,
    EntetesTropVolumineux,
    ServiceError,
    TropVolumineux,
    UriTropLongue,
)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

#: Pages build on this: no inline script, no third-party asset, no framing.
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: The API docs (Swagger UI, served from the service itself): scripts from this origin only, and
#: `fetch` of the OpenAPI document and of the calls "Try it out" makes.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: ReDoc's page: the same, except that ReDoc styles its components at run time (styled-components
#: inserts <style> elements) and runs its search index in a worker built from a blob. Still no script
#: but the service's own file, nothing from another origin.
REDOC_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src blob:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class LimitesHttp:
    """The limits of one HTTP exchange, checked by `BodyLimitMiddleware` whatever server runs the app
    (and earlier, before the headers are even parsed, by `signif serve`'s protocol: `shared.serveur`).

    A request line longer than `ligne_max` (method, path and query) is a 414 `uri-trop-longue`; more
    than `entetes_max` headers, or more than `entetes_octets_max` bytes of them, a 431
    `entetes-trop-volumineux`; a body must arrive within `delai_corps` seconds plus one second per
    `debit_min` bytes received (a 50 MB deposit has ~53 min at the minimum rate, a body sent at one
    byte per second is cut after `delai_corps`), else 408 `delai-depasse`.
    """

    ligne_max: int = 8 * 1024
    entetes_max: int = 100
    entetes_octets_max: int = 32 * 1024
    delai_corps: float = 30.0
    debit_min: int = 16 * 1024


class _Refus(ClientDisconnect):
    """Raised from `receive` into the app: a disconnect as far as the app is concerned (it abandons
    what it was writing, as for a client gone), then our problem answers instead of whatever it made."""

    def __init__(self, erreur: ServiceError) -> None:
        super().__init__(erreur.detail)
        self.erreur = erreur


async def envoyer_probleme(send: Send, erreur: ServiceError) -> None:
    """A problem+json answer written straight to the ASGI `send` (outside any FastAPI handler)."""
    body = json.dumps(erreur.to_problem(), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": erreur.status_code,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def refus_entete(scope: Scope, limites: LimitesHttp) -> ServiceError | None:
    """414 / 431 / 400 for a request whose line or headers exceed the limits or carry a NUL byte."""
    ligne = (
        len(scope.get("method", "")) + len(scope.get("raw_path") or b"") + len(scope.get("query_string", b""))
    )
    if ligne > limites.ligne_max:
        return UriTropLongue(f"La ligne de requête dépasse {limites.ligne_max} octets.")
    entetes = scope.get("headers", [])
    if len(entetes) > limites.entetes_max:
        return EntetesTropVolumineux(f"Plus de {limites.entetes_max} en-têtes.")
    if sum(len(n) + len(v) + 4 for n, v in entetes) > limites.entetes_octets_max:
        return EntetesTropVolumineux(f"Les en-têtes dépassent {limites.entetes_octets_max} octets.")
    # A NUL byte is never meaningful in a path or a query, and PostgreSQL refuses it in text: refused
    # here rather than by the database (a 500).
    if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"").lower():
        return BadRequest("Caractère nul dans l'adresse de la requête.")
    return None


class BodyLimitMiddleware:
    """Request line, headers, body size and body rate limits, plus the security headers every response
    carries."""

    def __init__(
        self, app: ASGIApp, *, limit_for: Callable[[str], int], limites: LimitesHttp | None = None
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.limites = limites or LimitesHttp()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refus_immediat = refus_entete(scope, self.limites)
        if refus_immediat is not None:
            await envoyer_probleme(send, refus_immediat)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await envoyer_probleme(send, _trop_volumineux(limit))
                    return
        received = 0
        started = False
        refus: ServiceError | None = None
        corps_fini = False
        horloge = asyncio.get_running_loop().time
        debut: float | None = None
        limites = self.limites

        async def limited_receive() -> Message:
            nonlocal received, refus, corps_fini, debut
            if corps_fini:
                return await receive()  # after the body, only a disconnect may come: no deadline
            if debut is None:
                debut = horloge()
            restant = debut + limites.delai_corps + received / limites.debit_min - horloge()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(restant, 0.0))
            except TimeoutError:
                refus = DelaiDepasse("Le corps de la requête arrive trop lentement.")
                raise _Refus(refus) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                corps_fini = not message.get("more_body", False)
                if received > limit:
                    refus = _trop_volumineux(limit)
                    raise _Refus(refus)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refus is not None:
                return  # whatever the app made of the interrupted body, the answer is ours
            if message["type"] == "http.response.start":
                started = True
                headers = [*message.get("headers", []), *SECURITY_HEADERS]
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if refus is None:
                raise
        if refus is not None and not started:
            await envoyer_probleme(send, refus)


def _trop_volumineux(limit: int) -> TropVolumineux:
    return TropVolumineux(f"Le corps de la requête dépasse la limite de {limit} octets.")
