"""The consent service: `create_app(settings)` builds it; `main.py` is the only reader of the environment.

`create_app` builds the service's one state object (`state.ConsentState`: database, clock, HTTP
client, keys, log, consultations' batches), gives it to the job handlers and to the routes'
dependencies (`dependencies.py`), and the lifespan closes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.consent.autorite.conservation import router as conservation_router
from services.consent.autorite.router import router as autorite_router
from services.consent.cles import router as cles_router
from services.consent.comptes.passage import interne as passage_interne
from services.consent.comptes.router import interne as comptes_interne
from services.consent.comptes.router import public as comptes_public
from services.consent.consultations.interne import router as interne_router
from services.consent.consultations.router import router as consultations_router
from services.consent.declarations import avis
from services.consent.declarations.rectification import PIECES_MAX
from services.consent.declarations.rectification_router import router as rectification_router
from services.consent.declarations.router import router as declarations_router
from services.consent.journal import horodatage
from services.consent.journal.router import router as journal_router
from services.consent.mentions.router import router as mentions_router
from services.consent.models import JOB_TABLES
from services.consent.operateur.rectifications import router as rectifications_operateur
from services.consent.operateur.router import router as operateur_router
from services.consent.pages.router import accueil as accueil_router
from services.consent.pages.router import router as pages_router
from services.consent.preuves.router import router as preuves_router
from services.consent.purge import service as purge
from services.consent.settings import ConsentSettings
from services.consent.state import build_state
from shared.app import ServiceRuntime, build_service_app, make_clock, make_http
from shared.clock import Clock

TITLE = "Signif — registre des consentements"
DESCRIPTION = (
    "Registre des personnes ayant consenti à la signification électronique (CPC 748-2) : "
    "déclarations, pièces, révocation, consultations par les commissaires de justice et recherches "
    "de l'autorité judiciaire."
)

STATIC = Path(__file__).resolve().parent / "static"

# Routes are matched in this order, router after router: the consultations (the registry's hot path,
# bench/consultations) and the coffre's verification at sending come first.
ROUTERS = [
    consultations_router,
    interne_router,
    mentions_router,
    declarations_router,
    rectification_router,
    operateur_router,
    rectifications_operateur,
    autorite_router,
    conservation_router,
    preuves_router,
    comptes_interne,
    passage_interne,
    comptes_public,
    journal_router,
    horodatage.router,
    cles_router,
    pages_router,
    accueil_router,
]


def create_app(
    settings: ConsentSettings,
    *,
    clock: Clock | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    state = build_state(settings, clock=clock or make_clock(settings), http=make_http(http_transport))

    @asynccontextmanager
    async def lifespan(_app: FastAPI, _runtime: ServiceRuntime) -> AsyncIterator[None]:
        # Leaves a crash left queued between a commit and its integration (shared.translog.store).
        await state.registre.journal.integrate_pending(state.db.engine)
        if settings.purge_quotidienne:
            async with state.db.transaction() as session:
                await purge.amorcer(session, now=state.clock.now())
        if settings.horodatage_horaire:
            async with state.db.transaction() as session:
                await horodatage.planifier(session, now=state.clock.now())
        yield

    app = build_service_app(
        settings=settings,
        title=TITLE,
        description=DESCRIPTION,
        routers=ROUTERS,
        job_tables=JOB_TABLES,
        job_handlers={
            purge.KIND: purge.make_handler(state.registre),
            avis.KIND: avis.make_handler(state.registre),
            horodatage.KIND: horodatage.make_handler(state.registre),
        },
        # The runtime runs on the state's database, clock and client, and its lifespan closes them.
        clock=state.clock,
        http=state.http,
        db=state.db,
        # A rectification carries up to `PIECES_MAX` proofs in one body.
        body_limits={
            "/consent/v1/declarations/": PIECES_MAX * settings.max_piece_bytes + 64 * 1024,
            "/consent/espace/": PIECES_MAX * settings.max_piece_bytes + 64 * 1024,
        },
        lifespan=lifespan,
    )
    app.state.consent = state
    app.mount("/consent/static", StaticFiles(directory=STATIC), name="consent-static")
    return app
