"""The coffre service: `create_app(settings)` builds it; `main.py` is the only reader of the environment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
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
from services.coffre.retrait.router import router as retrait_router
from services.coffre.settings import CoffreSettings
from shared.app import ServiceRuntime, build_service_app
from shared.clock import Clock
from shared.jobs import RELAY_KIND, Handler, JobContext
from shared.openapi import schemas_de
from shared.outbox import make_relay_handler

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
    @asynccontextmanager
    async def lifespan(_app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[None]:
        coffre = contexte.build_coffre(settings, runtime)
        runtime.extras[contexte.EXTRA_KEY] = coffre
        # Leaves a crash left queued between a commit and its integration (shared.translog.store).
        await coffre.repertoire.log.integrate_pending(runtime.db.engine)
        runtime.readiness.append(coffre.blobs.ping)
        if settings.taches_periodiques:
            async with runtime.db.transaction() as session:
                await taches.planifier_tout(session, now=runtime.clock.now())
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
            retrait_router,
            journal_router,
            cles_router,
            autorite_router,
            interne_router,
            dossier_router,
        ],
        job_tables=JOB_TABLES,
        clock=clock,
        http_transport=http_transport,
        body_limits={"/coffre/v1/actes": settings.max_acte_bytes + _MULTIPART_OVERHEAD},
        lifespan=lifespan,
        openapi_composants=schemas_de(Metadonnees),
    )
    runtime: ServiceRuntime = app.state.runtime

    def coffre() -> contexte.Coffre:
        return contexte.coffre_of(runtime)

    def http() -> httpx.AsyncClient:
        if runtime.http is None:  # pragma: no cover - set by the lifespan
            raise RuntimeError("HTTP client not started")
        return runtime.http

    runtime.job_handlers[ENVOI_PROGRAMME] = handler_envoi_programme(coffre)
    runtime.job_handlers.update(taches.handlers(coffre))
    runtime.job_handlers[MODE_KIND] = handler_mode(coffre)
    runtime.job_handlers[RELAY_KIND] = _relay(settings, coffre, http)
    return app


def _relay(
    settings: CoffreSettings, coffre: Callable[[], contexte.Coffre], http: Callable[[], httpx.AsyncClient]
) -> Handler:
    """The outbox relay to notify, built on first use (its service tokens exist once started)."""
    built: list[Handler] = []

    async def relay(ctx: JobContext) -> None:
        if not built:
            built.append(
                make_relay_handler(
                    JOB_TABLES,
                    source="coffre",
                    notify_url=settings.url_of("notify"),
                    tokens=coffre().tokens,
                    http=http,
                )
            )
        await built[0](ctx)

    return relay
