"""The embedded deployment: the three services in one process, on one port.

Each service keeps its own app, database file and job runner; this dispatcher only routes by the
first path segment (`/consent`, `/coffre`, `/notify`) and runs the three lifespans. The services
still talk to each other over HTTP, as in the distributed deployment. One clock is shared, so the
root test routes (`/_test/horloge`, `/_test/jobs`) move time and run the jobs of all three.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from services.coffre.app import create_app as create_coffre
from services.coffre.settings import CoffreSettings
from services.consent.app import create_app as create_consent
from services.consent.settings import ConsentSettings
from services.notify.app import create_app as create_notify
from services.notify.settings import NotifySettings
from shared.app import ServiceRuntime, make_clock
from shared.clock import Clock, ClockMovedBackwards, TestClock
from shared.erreurs_html import page_erreur, prefere_html
from shared.errors import PROBLEM_JSON, Conflit, Introuvable, ServiceError, Unprocessable
from shared.settings import BaseServiceSettings

SERVICES = ("consent", "coffre", "notify")
_TOUTES_ADRESSES = ("0.0.0.0", "::", "")  # noqa: S104 - names of the wildcard addresses, not a bind


def adresse_ecoute(host: str, port: int) -> str:
    """The URL a client on this machine reaches `signif serve --host H --port N` at."""
    if host in _TOUTES_ADRESSES:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def urls_derivees(settings: BaseServiceSettings, ecoute: str, *, embarque: bool) -> dict[str, str]:
    """The URL settings left unset, derived from where the process listens (`ecoute`).

    The public URL (links in e-mails, the retrieval pages' addresses) and, in the embedded deployment,
    the URLs the services call each other at (all on this one port) are where the process listens,
    unless `SIGNIF_PUBLIC_URL` / `SIGNIF_<SERVICE>_URL` say otherwise. A single service (`signif serve
    coffre`) derives only its public URL: where the others are is a matter of configuration.
    """
    fixes = settings.model_fields_set
    noms = ["public_url"] + ([f"{s}_url" for s in SERVICES] if embarque else [])
    return {nom: ecoute for nom in noms if nom not in fixes}


def build_apps(
    *,
    clock: Clock | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, FastAPI]:
    """The three apps on one clock; `http_transport` (tests): how they reach each other."""
    overrides = overrides or {}
    consent_settings = ConsentSettings(**overrides.get("consent", {}))
    shared_clock = clock or make_clock(consent_settings)
    coffre_settings = CoffreSettings(**overrides.get("coffre", {}))
    notify_settings = NotifySettings(**overrides.get("notify", {}))
    return {
        "consent": create_consent(consent_settings, clock=shared_clock, http_transport=http_transport),
        "coffre": create_coffre(coffre_settings, clock=shared_clock, http_transport=http_transport),
        "notify": create_notify(notify_settings, clock=shared_clock, http_transport=http_transport),
    }


class EmbeddedApp:
    """ASGI app dispatching to the three services and running their lifespans together."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self.apps = apps
        self.runtimes: dict[str, ServiceRuntime] = {name: app.state.runtime for name, app in apps.items()}
        self.clock = self.runtimes["consent"].clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope.get("path", "")
        segment = path.split("/", 2)[1] if path.count("/") >= 1 else ""
        if segment == "_test" and scope["type"] == "http" and self._test_routes_enabled():
            await self._test_route(scope, receive, send)
            return
        # The home page (`/`) is consent's (it leads to declaring, to the destinataire's space, to the docs).
        app = self.apps.get("consent" if path == "/" else segment)
        if app is None:
            if scope["type"] == "http" and prefere_html(_entete(scope, b"accept")):
                await page_erreur(404)(scope, receive, send)
                return
            await _problem(send, Introuvable("Aucun service à cette adresse."))
            return
        await app(scope, receive, send)

    def _test_routes_enabled(self) -> bool:
        return isinstance(self.clock, TestClock) and all(
            r.settings.is_test_env for r in self.runtimes.values()
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "lifespan.startup":  # pragma: no cover - ASGI protocol
            return
        stack = contextlib.AsyncExitStack()
        try:
            for app in self.apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
        except Exception as exc:
            await stack.aclose()
            await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
            return
        await send({"type": "lifespan.startup.complete"})
        message = await receive()  # lifespan.shutdown
        await stack.aclose()
        await send({"type": "lifespan.shutdown.complete"})

    async def _test_route(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = (scope["method"], scope["path"].rstrip("/"))
        handlers: dict[tuple[str, str], Callable[[bytes], Any]] = {
            ("GET", "/_test/horloge"): self._read_clock,
            ("POST", "/_test/horloge"): self._set_clock,
            ("POST", "/_test/jobs"): self._run_jobs,
        }
        handler = handlers.get(route)
        if handler is None:
            await _problem(send, Introuvable())
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            result = await handler(body)
        except ServiceError as exc:
            await _problem(send, exc)
            return
        await _json(send, 200, result)

    def _test_clock(self) -> TestClock:
        if not isinstance(self.clock, TestClock):  # pragma: no cover - routes enabled only with it
            raise Introuvable()
        return self.clock

    async def _read_clock(self, _body: bytes) -> dict[str, Any]:
        clock = self._test_clock()
        return {"maintenant": _iso(clock.now()), "figee": clock.pinned}

    async def _set_clock(self, body: bytes) -> dict[str, Any]:
        clock = self._test_clock()
        try:
            data = json.loads(body or b"{}")
            instant = datetime.fromisoformat(str(data["maintenant"]).replace("Z", "+00:00"))
            if set(data) != {"maintenant"}:
                raise ValueError("unexpected fields")
            clock.set(instant)
        except ClockMovedBackwards as exc:
            raise Conflit(str(exc)) from exc
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise Unprocessable('Corps attendu : {"maintenant": instant RFC 3339 avec fuseau}.') from exc
        return await self._read_clock(b"")

    async def _run_jobs(self, _body: bytes) -> dict[str, Any]:
        total = 0
        # Jobs of one service can feed another's (outbox relays): loop until nothing is due anywhere.
        for _ in range(20):
            ran = 0
            for runtime in self.runtimes.values():
                if runtime.runner is not None:
                    ran += await runtime.runner.run_due()
            total += ran
            if ran == 0:
                break
        return {"executes": total}


def _entete(scope: Scope, nom: bytes) -> str | None:
    for cle, valeur in scope.get("headers", []):
        if cle.lower() == nom:
            return bytes(valeur).decode("latin-1")
    return None


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


async def _json(
    send: Send, status: int, payload: dict[str, Any], media_type: str = "application/json"
) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _problem(send: Send, error: ServiceError) -> None:
    await _json(send, error.status_code, error.to_problem(), PROBLEM_JSON)


def create_embedded_app(**kwargs: Any) -> EmbeddedApp:
    return EmbeddedApp(build_apps(**kwargs))
