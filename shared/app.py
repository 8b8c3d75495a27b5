"""The frame every service app is built in.

`build_service_app` gives a service its prefix-scoped OpenAPI documents (public, and internal behind
the `service` role) and docs (`shared.docs`), problem+json errors, body limits and security headers,
request ids, logs and metrics (behind `SIGNIF_METRICS_TOKEN`), `/healthz` and `/readyz`, the database,
the token verifier, the outgoing HTTP client, the job runner (in process unless disabled), and, in
development and test only, the test clock routes (`/_test/horloge`, `/_test/jobs`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict

from shared import docs
from shared.auth import JwksFile, JwksUrl, KeySource, TokenVerifier
from shared.clock import Clock, ClockMovedBackwards, SystemClock, TestClock
from shared.db import Database
from shared.erreurs_html import installer_pages_erreur
from shared.errors import (
    Conflit,
    Introuvable,
    ServiceIndisponible,
    error_responses,
    install_error_handlers,
)
from shared.http import BodyLimitMiddleware
from shared.issuer import DevelopmentKeyRefused, DevIssuer, is_dev_key
from shared.jobs import RELAY_KIND, Handler, JobRunner, JobTables
from shared.json_strict import JsonStrictMiddleware
from shared.observability import RequestContextMiddleware, ServiceMetrics
from shared.outbox import make_relay_handler
from shared.pages import PageRefusee, page_refusee
from shared.schemas import Sante
from shared.service_tokens import ServiceTokens
from shared.settings import BaseServiceSettings

ReadinessCheck = Callable[[], Awaitable[None]]


def make_clock(settings: BaseServiceSettings) -> Clock:
    if settings.is_test_env:
        return TestClock(settings.now)
    return SystemClock()


def make_key_source(settings: BaseServiceSettings, http: httpx.AsyncClient) -> KeySource:
    if settings.jwks_url:
        return JwksUrl(settings.jwks_url, http)
    path = settings.effective_jwks_path
    if settings.env == "production":
        if settings.jwks_path is None:
            raise DevelopmentKeyRefused("production needs SIGNIF_JWKS_URL or SIGNIF_JWKS_PATH")
        if is_dev_key(path.with_name("issuer.ed25519.pem")):
            raise DevelopmentKeyRefused("production refuses the generated development issuer key")
    elif settings.jwks_path is None:
        DevIssuer(settings.keys_dir, issuer=settings.jwt_issuer)  # first start: generate it
    return JwksFile(path)


@dataclass
class ServiceRuntime:
    """What a running service holds; available to handlers as `request.app.state.runtime`."""

    settings: BaseServiceSettings
    clock: Clock
    db: Database
    metrics: ServiceMetrics
    job_tables: JobTables
    job_handlers: dict[str, Handler]
    #: Built with the app, closed when its lifespan ends (an app's lifespan runs once).
    http: httpx.AsyncClient
    runner: JobRunner | None = None
    readiness: list[ReadinessCheck] = field(default_factory=list)
    # Each service's own collaborators live in its typed state, in `app.state` beside this runtime:
    # `services.consent.state.ConsentState`, `services.coffre.contexte.Coffre`,
    # `services.notify.runtime.NotifyRuntime`.


def runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


# Dependencies are coroutines: FastAPI runs a plain `def` dependency in a worker thread, a thread
# hop per request and dependency (bench/consultations).
async def _runtime(request: Request) -> ServiceRuntime:
    return runtime_of(request)


async def _now(request: Request) -> datetime:
    return runtime_of(request).clock.now()


RuntimeDep = Annotated[ServiceRuntime, Depends(_runtime)]
#: The legal instant of this request (the service's injectable clock).
NowDep = Annotated[datetime, Depends(_now)]


class Horloge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    maintenant: datetime


class HorlogeLue(BaseModel):
    maintenant: datetime
    figee: bool


class JobsExecutes(BaseModel):
    executes: int


def clock_router(prefix: str = "") -> APIRouter:
    """Test clock routes; mounted only when SIGNIF_ENV is development or test."""
    router = APIRouter(prefix=f"{prefix}/_test", tags=["test"], include_in_schema=False)

    @router.get("/horloge", response_model=HorlogeLue)
    async def lire_horloge(request: Request) -> HorlogeLue:
        clock = request.app.state.runtime.clock
        return HorlogeLue(maintenant=clock.now(), figee=isinstance(clock, TestClock) and clock.pinned)

    @router.post("/horloge", response_model=HorlogeLue)
    async def avancer_horloge(request: Request, corps: Horloge) -> HorlogeLue:
        clock = request.app.state.runtime.clock
        if not isinstance(clock, TestClock):
            raise Introuvable()
        try:
            clock.set(corps.maintenant)
        except ClockMovedBackwards as exc:
            raise Conflit(str(exc)) from exc
        return HorlogeLue(maintenant=clock.now(), figee=clock.pinned)

    @router.post("/jobs", response_model=JobsExecutes)
    async def executer_jobs(request: Request) -> JobsExecutes:
        runtime: ServiceRuntime = request.app.state.runtime
        if runtime.runner is None:
            raise Introuvable()
        return JobsExecutes(executes=await runtime.runner.run_due())

    return router


def make_http(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The client a service calls the others with: built with the app (no connection is opened before
    the first request), closed by the app's lifespan."""
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(10.0), follow_redirects=False)


def build_service_app(
    *,
    settings: BaseServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    job_tables: JobTables,
    job_handlers: dict[str, Handler] | None = None,
    clock: Clock | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
    http: httpx.AsyncClient | None = None,
    db: Database | None = None,
    body_limits: dict[str, int] | None = None,
    lifespan: Callable[[FastAPI, ServiceRuntime], AbstractAsyncContextManager[None]] | None = None,
    relay_events: bool = True,
    relay_tokens: ServiceTokens | None = None,
    openapi_composants: dict[str, Any] | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
) -> FastAPI:
    name = settings.service
    runtime = ServiceRuntime(
        settings=settings,
        clock=clock or make_clock(settings),
        db=db or Database(settings.effective_database_url),
        metrics=ServiceMetrics(name),
        job_tables=job_tables,
        job_handlers=dict(job_handlers or {}),
        http=http or make_http(http_transport),
    )
    runtime.readiness.append(runtime.db.ping)
    if relay_events and RELAY_KIND not in runtime.job_handlers:
        tokens = relay_tokens or ServiceTokens(
            service=name,
            issuer=settings.jwt_issuer,
            key_path=settings.effective_service_key_path,
            production=settings.env == "production",
        )
        runtime.job_handlers[RELAY_KIND] = make_relay_handler(
            job_tables,
            source=name,
            notify_url=settings.url_of("notify"),
            tokens=tokens,
            http=runtime.http,
        )

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.token_verifier = TokenVerifier(
            issuer=settings.jwt_issuer, audience=name, keys=make_key_source(settings, runtime.http)
        )
        runtime.runner = JobRunner(
            runtime.db,
            job_tables,
            runtime.clock,
            runtime.job_handlers,
            on_outcome=lambda kind, outcome: runtime.metrics.jobs.labels(name, kind, outcome).inc(),
            concurrency=settings.jobs_concurrency,
            lease_seconds=settings.jobs_bail_secondes,
        )
        stop = asyncio.Event()
        task: asyncio.Task[None] | None = None
        try:
            async with contextlib.AsyncExitStack() as stack:
                if lifespan is not None:
                    await stack.enter_async_context(lifespan(app, runtime))
                if settings.run_jobs_in_process:
                    task = asyncio.create_task(runtime.runner.run_forever(stop), name=f"{name}-jobs")
                # What import and start-up built (modules, routes, models, compiled statements) lives
                # as long as the service: out of the cyclic GC's reach while it runs, a full
                # collection walks only what requests made (bench/consultations: pauses of ~80 ms
                # every ~0.7 s under load became ~2 ms). Unfrozen at shutdown (several apps share a
                # process in tests and in the embedded deployment: nothing stays frozen for good).
                gc.collect()
                gc.freeze()
                yield
                stop.set()
                if task is not None:
                    await task
        finally:
            gc.unfreeze()
            stop.set()
            await runtime.http.aclose()
            await runtime.db.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        openapi_url=f"/{name}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    installer_pages_erreur(app)
    app.add_exception_handler(PageRefusee, page_refusee)  # a page's own refusal page, as it is

    limits = {f"/{name}/": settings.max_json_body, **(body_limits or {})}

    def limit_for(path: str) -> int:
        best = settings.max_json_body
        best_len = -1
        for prefix, limit in limits.items():
            if path.startswith(prefix) and len(prefix) > best_len:
                best, best_len = limit, len(prefix)
        return best

    app.add_middleware(JsonStrictMiddleware)  # inside the limits: reads a body already bounded
    app.add_middleware(BodyLimitMiddleware, limit_for=limit_for, limites=settings.limites_http)
    app.add_middleware(RequestContextMiddleware, metrics=runtime.metrics)

    ops = APIRouter(prefix=f"/{name}", tags=["exploitation"])

    @ops.get(
        "/healthz",
        summary=("Processus vivant"),
        response_model=Sante,
        description=(
            "Répond tant que le processus vit ; ne regarde ni la base ni le stockage. Sans effet, pour "
            "les sondes de vie."
        ),
    )
    async def healthz() -> dict[str, str]:
        return {"statut": "ok", "service": name}

    @ops.get(
        "/readyz",
        summary=("Base de données et stockage joignables"),
        response_model=Sante,
        responses=error_responses(ServiceIndisponible),
        description=(
            "Vérifie que la base de données (et, pour le coffre, le stockage des documents) répond. 503 "
            "`indisponible` sinon : ne pas envoyer de trafic à cette instance. Sans effet."
        ),
    )
    async def readyz() -> dict[str, str]:
        for check in runtime.readiness:
            try:
                await check()
            except Exception as exc:
                raise ServiceIndisponible("Une dépendance du service est injoignable.") from exc
        return {"statut": "pret", "service": name}

    app.include_router(ops)
    for router in routers:
        app.include_router(router)
    if settings.is_test_env:
        app.include_router(clock_router())
        app.include_router(clock_router(f"/{name}"))

    def jeton_metrics() -> str | None:
        jeton = settings.metrics_token
        return jeton.get_secret_value() if jeton is not None else None

    docs.installer(
        app,
        name,
        composants=openapi_composants,
        tags=openapi_tags,
        metrics=runtime.metrics.render,
        jeton_metrics=jeton_metrics,
    )
    return app
