"""The embedded deployment in process, on SQLite or PostgreSQL, with a token for each role."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from shared.http import LimitesHttp
from shared.issuer import DevIssuer
from shared.migrate import upgrade
from shared.serveur import OPTIONS_UVICORN, protocole_borne
from shared.testing.aiguillage import Aiguillage
from shared.testing.apps import commissaire_claims, running
from shared.testing.databases import sqlite_url, temporary_postgres
from signif.embedded import SERVICES, EmbeddedApp, create_embedded_app

MAINTENANT = "2026-03-02T09:00:00Z"
PROBLEM_JSON = "application/problem+json"


@dataclass
class Embarque:
    client: httpx.AsyncClient
    app: EmbeddedApp
    issuer: DevIssuer
    urls: dict[str, str]

    def jeton(self, role: str, service: str) -> str:
        extra: dict[str, Any] = {}
        if role == "commissaire":
            extra = commissaire_claims()
        elif role == "autorite_judiciaire":
            extra = {"juridiction": "Tribunal judiciaire de Paris"}
        return self.issuer.token(role=role, sub=f"essai-{role}", audience=service, **extra)

    def entetes(self, role: str, service: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.jeton(role, service)}"}


def reglages(var_dir: Path, urls: dict[str, str], **extra: Any) -> dict[str, dict[str, Any]]:
    commun = {"env": "test", "var_dir": var_dir, "now": MAINTENANT, "run_jobs_in_process": False, **extra}
    return {s: {**commun, "database_url": urls[s]} for s in SERVICES}


@contextlib.asynccontextmanager
async def bases(moteur: str, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """One fresh, migrated database per service on `moteur` ("sqlite" or "postgresql")."""
    async with contextlib.AsyncExitStack() as stack:
        if moteur == "sqlite":
            urls = {s: sqlite_url(tmp_path, s) for s in SERVICES}
        else:
            urls = {
                s: await stack.enter_async_context(temporary_postgres(f"signif_rob_{s}")) for s in SERVICES
            }
        for service, url in urls.items():
            await upgrade(service, url)
        yield urls


@contextlib.asynccontextmanager
async def embarque(moteur: str, tmp_path: Path, **extra: Any) -> AsyncIterator[Embarque]:
    async with bases(moteur, tmp_path) as urls:
        # The services call each other over HTTP: in process, each routed to its app.
        aiguillage = Aiguillage()
        app = create_embedded_app(overrides=reglages(tmp_path, urls, **extra), http_transport=aiguillage)
        for nom, service in app.apps.items():
            aiguillage.brancher(nom, service)
        try:
            async with running(app) as client:
                yield Embarque(client, app, DevIssuer(tmp_path / "keys", issuer="signif-dev"), urls)
        finally:
            await aiguillage.fermer()


def verifier_probleme(reponse: httpx.Response, statut: int, code: str | None = None) -> dict[str, Any]:
    """The response is a problem+json of this status (and code), never a 5xx."""
    assert reponse.status_code == statut, (reponse.status_code, reponse.text[:500])
    assert reponse.headers["content-type"] == PROBLEM_JSON, reponse.headers["content-type"]
    corps: dict[str, Any] = reponse.json()
    assert corps["status"] == statut
    assert isinstance(corps["code"], str)
    assert corps["code"]
    if code is not None:
        assert corps["code"] == code, corps
    return corps


@contextlib.contextmanager
def servir(
    app: Any, port: int, limites: LimitesHttp | None = None, delai_entetes: float = 10.0
) -> Iterator[None]:
    """Serve `app` as `signif serve` does (bounded protocol, its uvicorn options) on 127.0.0.1:`port`,
    in a thread."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        http=protocole_borne(limites, delai_entetes),
        **OPTIONS_UVICORN,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(400):
            if server.started:
                break
            time.sleep(0.025)
        if not server.started:
            raise RuntimeError("uvicorn did not start")
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
