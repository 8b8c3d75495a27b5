"""Calls between the embedded services in process (`signif.interne.TransportInterne`)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from shared.migrate import upgrade
from shared.settings import BaseServiceSettings
from shared.testing.apps import running
from signif.embedded import SERVICES, create_embedded_app
from signif.interne import TransportInterne

BASE = "http://interne.test:8000"
_TRACE: contextvars.ContextVar[str] = contextvars.ContextVar("trace", default="vierge")


async def _appli(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers `<client host> <trace seen>`; `/consent/lent` sleeps, `/consent/casse` raises."""
    assert scope["type"] == "http"
    if scope["path"] == "/consent/lent":
        await asyncio.sleep(30)
    if scope["path"] == "/consent/casse":
        raise RuntimeError("panne de l'appelé")
    vu = _TRACE.get()
    _TRACE.set("posee-par-l-appele")
    corps = f"{scope['client'][0]} {vu}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": corps})


@pytest.fixture
def port_ferme() -> Iterator[int]:
    """A port of 127.0.0.1 bound but never listening: TCP connections to it are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def _transport() -> TransportInterne:
    transport = TransportInterne()
    transport.brancher({"consent": _appli}, [BaseServiceSettings(public_url=BASE)])
    return transport


async def test_a_call_to_a_sibling_runs_its_app_in_a_fresh_context() -> None:
    transport = _transport()
    transport.ouvrir()
    async with httpx.AsyncClient(transport=transport) as http:
        _TRACE.set("posee-par-l-appelant")
        reponse = await http.get(f"{BASE}/consent/v1/x")
    assert (reponse.status_code, reponse.text) == (200, "127.0.0.1 vierge")
    assert _TRACE.get() == "posee-par-l-appelant"  # nor the callee's back


async def test_closed_before_start_and_after_shutdown_as_a_refused_connection() -> None:
    transport = _transport()
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"{BASE}/consent/v1/x")
        transport.ouvrir()
        assert (await http.get(f"{BASE}/consent/v1/x")).status_code == 200
        transport.fermer()
        with pytest.raises(httpx.ConnectError):
            await http.get(f"{BASE}/consent/v1/x")


async def test_the_read_timeout_bounds_the_exchange() -> None:
    transport = _transport()
    transport.ouvrir()
    async with httpx.AsyncClient(transport=transport, timeout=0.2) as http:
        debut = asyncio.get_running_loop().time()
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"{BASE}/consent/lent")
        assert asyncio.get_running_loop().time() - debut < 5


async def test_an_exception_in_the_callee_is_logged_and_answered_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = _transport()
    transport.ouvrir()
    async with httpx.AsyncClient(transport=transport) as http:
        with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
            reponse = await http.get(f"{BASE}/consent/casse")
    assert reponse.status_code == 500
    assert any("panne de l'appelé" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


async def test_other_addresses_go_out_over_tcp(port_ferme: int) -> None:
    ailleurs = f"http://127.0.0.1:{port_ferme}"
    transport = TransportInterne()
    # A base with a path is a proxy's business (it rewrites the path): not served in process.
    reglages = [BaseServiceSettings(public_url=BASE), BaseServiceSettings(public_url=f"{ailleurs}/sous")]
    transport.brancher({"consent": _appli}, reglages)
    transport.ouvrir()
    async with httpx.AsyncClient(transport=transport) as http:
        assert (await http.get(f"{BASE}/consent/v1/x")).status_code == 200
        for url in (f"{ailleurs}/consent/v1/x", f"{ailleurs}/sous/consent/v1/x", f"{ailleurs}/coffre/v1/x"):
            with pytest.raises(httpx.ConnectError):
                await http.get(url)


async def test_embedded_services_call_each_other_without_a_socket(tmp_path: Path, port_ferme: int) -> None:
    """The URLs the services call each other at lead to a refused port: only the in-process route
    answers, with the callee's authentication and problem+json errors."""
    common = {"env": "test", "var_dir": tmp_path, "public_url": f"http://127.0.0.1:{port_ferme}"}
    for service in SERVICES:
        await upgrade(service, f"sqlite+aiosqlite:///{tmp_path / (service + '.db')}")
    app = create_embedded_app(overrides={s: dict(common) for s in SERVICES})
    coffre = app.apps["coffre"].state.coffre
    url = f"{coffre.settings.url_of('consent')}/consent/v1/interne/declarations/inconnue/canal"
    assert app.interne is not None
    async with httpx.AsyncClient(transport=app.interne) as avant:  # not started yet: closed
        with pytest.raises(httpx.ConnectError):
            await avant.get(url)
    async with running(app):
        sans_jeton = await coffre.http.get(url)
        jeton = {"Authorization": f"Bearer {coffre.tokens.token_for('consent')}"}
        avec_jeton = await coffre.http.get(url, headers=jeton)
    assert sans_jeton.status_code == 401
    assert sans_jeton.headers["content-type"] == "application/problem+json"
    assert avec_jeton.status_code == 404
    assert avec_jeton.json()["code"] == "introuvable"
    assert avec_jeton.headers["x-request-id"]  # the callee's middleware ran
    async with httpx.AsyncClient(transport=app.interne) as apres:  # shut down: closed again
        with pytest.raises(httpx.ConnectError):
            await apres.get(url, headers=jeton)
