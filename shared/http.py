"""ASGI plumbing shared by the services: body size limits and security headers.

Every response also says `Cache-Control: no-store` unless its route chose otherwise (the few public,
cacheable assets: stylesheets, the docs' scripts): API answers carry personal data (a declaration,
the operator's and the authority's views), and no shared or browser cache may keep them.

`BodyLimitMiddleware` refuses a body larger than the limit of its route class, by `Content-Length`
up front and by counting while streaming (chunked uploads), with a 413 problem+json. Routes that
stream large uploads (the acte deposit) get their own, larger limit and enforce it themselves
while writing to storage.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import PROBLEM_JSON, TropVolumineux

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


class _BodyTooLarge(Exception):
    pass


async def _send_problem(send: Send, limit: int) -> None:
    error = TropVolumineux(f"Le corps de la requête dépasse la limite de {limit} octets.")
    body = json.dumps(error.to_problem()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Body size limit per route class, plus the security headers every response carries."""

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await _send_problem(send, limit)
                    return
        received = 0
        started = False
        overflowed = False

        async def limited_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if overflowed:
                return  # whatever the app made of the interrupted body, the answer is our 413
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
            if not overflowed:
                raise
        if overflowed and not started:
            await _send_problem(send, limit)
