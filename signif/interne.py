"""Calls between the embedded services, in process: an httpx transport to the sibling's ASGI app.

In the embedded deployment (`signif serve` without a service name) the three services share one
process. A call from one to another (the coffre asking consent whether a session lives, an outbox
relay posting its event to notify, notify reading consent's channel or the coffre's link, consent
telling notify...) is made as in the distributed deployment: to `settings.url_of(service)` +
`/<service>/...`, with its service token, on the service's one HTTP client. `TransportInterne`, that
client's transport, hands such a request to the sibling service's app itself: its middleware
(request id and access log, body limits, strict JSON), authentication, routes and error handlers run
as for a request over loopback; only the TCP connection and uvicorn's parsing go. Any other URL (an
external TSA, a JWKS URL, a base with a path, which a proxy rewrites) goes out over TCP, as before.
It is chosen where the embedded app is assembled (`signif.embedded.create_embedded_app`); a service
run alone keeps its ordinary client.

What the socket gave and this keeps:

- a deadline: the request's read timeout bounds the whole exchange; past it the callee is cancelled
  and the caller gets `httpx.ReadTimeout`, as from a silent peer;
- before the embedded app has started (every lifespan entered) and once its shutdown has begun, a
  call gets `httpx.ConnectError`, as from the port uvicorn does not listen on yet, or any more (an
  outbox relay retries later);
- isolation: each call runs in a task of its own, on a fresh `contextvars` context, as uvicorn runs a
  request: neither the caller's request id nor its read-only or urgent-write flags (`shared.db`)
  reach the callee, nor the callee's back;
- an exception escaping the callee is logged as uvicorn logs it, and answered 500;
- the address the callee sees for its client is 127.0.0.1, as over loopback.

The response body is read whole before it is handed back (`httpx.ASGITransport`): the calls between
services carry small JSON documents.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Mapping

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.settings import BaseServiceSettings

#: uvicorn's logger and message for an exception escaping the application.
_log = logging.getLogger("uvicorn.error")


class TransportInterne(httpx.AsyncBaseTransport):
    """Shared by the embedded services' clients; closed for calls until `ouvrir`, after `fermer`."""

    def __init__(self) -> None:
        #: (scheme, host, port, service) -> the service's app, as an ASGI transport.
        self._cibles: dict[tuple[str, str, int | None, str], httpx.ASGITransport] = {}
        self._ouvert = False
        self._tcp: httpx.AsyncHTTPTransport | None = None  # made on first use

    def brancher(self, apps: Mapping[str, ASGIApp], reglages: list[BaseServiceSettings]) -> None:
        """Route to `apps[service]` the calls addressed to `url_of(service)` in any of `reglages`."""
        for service, app in apps.items():
            transport = httpx.ASGITransport(app=_journalisee(app), raise_app_exceptions=False)
            for settings in reglages:
                base = httpx.URL(settings.url_of(service))
                if base.path in ("", "/"):
                    self._cibles[(base.scheme, base.host, base.port, service)] = transport

    def ouvrir(self) -> None:
        self._ouvert = True

    def fermer(self) -> None:
        self._ouvert = False

    def _cible(self, url: httpx.URL) -> httpx.ASGITransport | None:
        service = url.path.split("/", 2)[1]
        return self._cibles.get((url.scheme, url.host, url.port, service))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        cible = self._cible(request.url)
        if cible is None:
            if self._tcp is None:
                self._tcp = httpx.AsyncHTTPTransport()
            return await self._tcp.handle_async_request(request)
        if not self._ouvert:
            raise httpx.ConnectError("service embarqué non démarré ou en arrêt", request=request)
        delai = request.extensions.get("timeout", {}).get("read")
        appel = asyncio.create_task(cible.handle_async_request(request), context=contextvars.Context())
        try:
            async with asyncio.timeout(delai):
                return await appel
        except TimeoutError as exc:
            raise httpx.ReadTimeout(f"pas de réponse en {delai} s", request=request) from exc

    async def aclose(self) -> None:
        """Each client closes it with its app; the outgoing connections are made again if needed."""
        tcp, self._tcp = self._tcp, None
        if tcp is not None:
            await tcp.aclose()


def _journalisee(app: ASGIApp) -> ASGIApp:
    async def appli(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        except Exception:
            _log.exception("Exception in ASGI application\n")
            raise

    return appli
