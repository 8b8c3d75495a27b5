"""The coffre service: `create_app(settings)` builds it; `main.py` is the only reader of the environment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.coffre import contexte
from services.coffre.actes.router import router as actes_router
from services.coffre.autorite.router import router as autorite_router
from services.coffre.depot.envoi import ENVOI_PROGRAMME
from services.coffre.depot.programme import handler_envoi_programme
from services.coffre.depot.router import router as depot_router
from services.coffre.depot.schemas import Metadonnees
from services.coffre.dossier.router import router as dossier_router
from services.coffre.interne.router import router as interne_router
from services.coffre.journal import taches
from services.coffre.journal.router import journal as journal_router
from services.coffre.journal.router import router as cles_router
from services.coffre.models import JOB_TABLES
from services.coffre.reception.mode import MODE_KIND, handler_mode
from services.coffre.reception.router import router as reception_router
from services.coffre.retrait.espace import router as espace_router
from services.coffre.retrait.passage import router as passage_router
from services.coffre.retrait.router import router as retrait_router
from services.coffre.settings import CoffreSettings
from shared.app import ServiceRuntime, build_service_app, make_clock, make_http
from shared.clock import Clock
from shared.db import Database
from shared.openapi import schemas_de

TITLE = "Signif — coffre-fort des actes"
DESCRIPTION = (
    "Coffre-fort électronique : dépôt des actes signés, contrôles au moment de l'envoi "
    "(consentement, compétence, heures légales), horodatage RFC 3161, répertoire vérifiable, pages "
    "de retrait du destinataire, avis de réception et preuves."
)
_MULTIPART_OVERHEAD = 1024 * 1024


def create_app(
    settings: CoffreSettings,
    *,
    clock: Clock | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The coffre: its state (`contexte.Coffre`) built here, before any request or job; the lifespan
    integrates the leaves a crash left queued, schedules the periodic jobs and, at the end, closes
    the HTTP client and the database."""
    clock = clock or make_clock(settings)
    coffre = contexte.build_coffre(
        settings, db=Database(settings.effective_database_url), clock=clock, http=make_http(http_transport)
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI, _runtime: ServiceRuntime) -> AsyncIterator[None]:
        # Leaves a crash left queued between a commit and its integration (shared.translog.store).
        await coffre.repertoire.log.integrate_pending(coffre.db.engine)
        if settings.taches_periodiques:
            async with coffre.db.transaction() as session:
                await taches.planifier_tout(session, now=coffre.clock.now())
        yield

    app = build_service_app(
        settings=settings,
        title=TITLE,
        description=DESCRIPTION,
        routers=[
            depot_router,
            actes_router,
            reception_router,
            espace_router,
            passage_router,
            retrait_router,
            journal_router,
            cles_router,
            autorite_router,
            interne_router,
            dossier_router,
        ],
        job_tables=JOB_TABLES,
        job_handlers={
            ENVOI_PROGRAMME: handler_envoi_programme(coffre),
            MODE_KIND: handler_mode(coffre),
            **taches.handlers(coffre),
        },
        clock=clock,
        http=coffre.http,
        db=coffre.db,
        body_limits={"/coffre/v1/actes": settings.max_acte_bytes + _MULTIPART_OVERHEAD},
        lifespan=lifespan,
        openapi_composants=schemas_de(Metadonnees),
        relay_tokens=coffre.tokens,
    )
    app.state.coffre = coffre
    app.state.runtime.readiness.append(coffre.blobs.ping)
    return app
