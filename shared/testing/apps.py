"""Running service apps in tests: migrated database, lifespan entered, httpx client on ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from shared.issuer import DevIssuer
from shared.migrate import upgrade
from shared.settings import BaseServiceSettings


@asynccontextmanager
async def running(app: Any, *, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """Enter the app's lifespan (FastAPI app or the embedded dispatcher) and yield a client bound to it."""
    lifespan = app.router.lifespan_context(app) if isinstance(app, FastAPI) else _asgi_lifespan(app)
    async with (
        lifespan,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=base_url
        ) as client,
    ):
        yield client


@asynccontextmanager
async def _asgi_lifespan(app: Any) -> AsyncIterator[None]:
    import asyncio

    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive() -> dict[str, Any]:
        return await inbox.get()

    async def send(message: dict[str, Any]) -> None:
        await outbox.put(message)

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        await task
        raise RuntimeError(started.get("message", "lifespan startup failed"))
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


async def migrate(settings: BaseServiceSettings) -> None:
    await upgrade(settings.service, settings.effective_database_url)


def issuer_for(settings: BaseServiceSettings) -> DevIssuer:
    """The development issuer whose JWKS the service reads (created in its var dir)."""
    return DevIssuer(settings.keys_dir, issuer=settings.jwt_issuer)


def commissaire_claims(
    *,
    office_id: str = "office-paris-1",
    cour_appel: str = "paris",
    commune_insee: str = "75056",
    nom: str = "Me Martin",
) -> dict[str, Any]:
    return {
        "nom": nom,
        "office": {
            "id": office_id,
            "nom": f"Office {office_id}",
            "commune_insee": commune_insee,
            "cour_appel": cour_appel,
        },
    }
