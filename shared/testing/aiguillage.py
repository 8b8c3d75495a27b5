"""Services of one test calling each other in process: an httpx transport routing on the path prefix.

Every service path starts with the service's name (`/consent/...`, `/coffre/...`, `/notify/...`), as
in the embedded deployment, so one `Aiguillage` can be the `http_transport` of all the services of a
test: a request goes to the ASGI app plugged in under its first path segment, whatever the host.

A service that is cut (`couper`), or was never plugged in, is unreachable for real: the request goes
to a TCP port of 127.0.0.1 that is bound but not listening, and the kernel refuses the connection,
so the caller sees the same `httpx.ConnectError` as for a service that is down.
"""

from __future__ import annotations

import socket
from typing import Any

import httpx


class Aiguillage(httpx.AsyncBaseTransport):
    """Shared by several clients: `aclose` (called by each client) keeps it open; `fermer` closes it."""

    def __init__(self) -> None:
        self._apps: dict[str, httpx.ASGITransport] = {}
        self._coupes: set[str] = set()
        self._ferme = socket.socket()
        self._ferme.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        self._tcp: httpx.AsyncHTTPTransport | None = None  # made on first use (its TLS set-up costs)

    def brancher(self, service: str, app: Any) -> None:
        """Route `/{service}/...` to this ASGI app (its lifespan is the caller's business)."""
        self._apps[service] = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    def couper(self, service: str) -> None:
        self._coupes.add(service)

    def retablir(self, service: str) -> None:
        self._coupes.discard(service)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        service = request.url.path.split("/", 2)[1]
        app = self._apps.get(service)
        if app is None or service in self._coupes:
            port = self._ferme.getsockname()[1]
            request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=port)
            if self._tcp is None:
                self._tcp = httpx.AsyncHTTPTransport()
            return await self._tcp.handle_async_request(request)
        return await app.handle_async_request(request)

    async def aclose(self) -> None:
        """Kept open: the clients of the other services still use it."""

    async def fermer(self) -> None:
        if self._tcp is not None:
            await self._tcp.aclose()
        self._ferme.close()
