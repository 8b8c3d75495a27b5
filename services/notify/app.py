"""The notify service: `create_app(settings)` builds it; `main.py` is the only reader of the environment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.notify.abonnements.router import router as abonnements_router
from services.notify.abonnements.url import TransportVerifie, reseaux
from services.notify.avis import service as avis
from services.notify.courriel.mailer import Mailer, make_mailer
from services.notify.courriel.router import router as courriel_router
from services.notify.courriel.sms import LoggingSmsProvider, SmsProvider
from services.notify.evenements.router import router as evenements_router
from services.notify.livraisons import service as livraisons
from services.notify.livraisons.router import cle_router
from services.notify.livraisons.router import router as livraisons_router
from services.notify.models import JOB_TABLES
from services.notify.runtime import NotifyRuntime
from services.notify.settings import NotifySettings
from services.notify.webhooks import router as webhooks_router
from shared.app import ServiceRuntime, build_service_app, make_clock, make_http
from shared.clock import Clock
from shared.crypto.aead import LocalKeyProvider
from shared.crypto.keys import load_or_create_ed25519, refuse_development_key
from shared.db import Database
from shared.service_tokens import ServiceTokens

TITLE = "Signif — notifications"
DESCRIPTION = (
    "Tout ce qui sort de la plateforme : avis de mise à disposition par e-mail, webhooks signés "
    "(Standard Webhooks) vers les logiciels des offices, flux d'événements."
)


def create_app(
    settings: NotifySettings,
    *,
    clock: Clock | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
    mailer: Mailer | None = None,
    sms: SmsProvider | None = None,
) -> FastAPI:
    production = settings.env == "production"
    if production:
        refuse_development_key(settings.webhook_key_path)

    clock = clock or make_clock(settings)
    notify = NotifyRuntime(
        settings=settings,
        db=Database(settings.effective_database_url),
        clock=clock,
        http=make_http(http_transport),
        webhooks=httpx.AsyncClient(
            transport=TransportVerifie(reseaux(settings.webhook_allowlist)),
            timeout=httpx.Timeout(settings.webhook_timeout),
            follow_redirects=False,
        ),
        keys=LocalKeyProvider.from_secrets({"k1": settings.secret_key}, current_kid="k1"),
        webhook_key=load_or_create_ed25519(settings.webhook_key_path, allow_create=not production),
        mailer=mailer or make_mailer(settings),
        sms=sms or LoggingSmsProvider(production=production),
        tokens=ServiceTokens(
            service="notify",
            issuer=settings.jwt_issuer,
            key_path=settings.effective_service_key_path,
            production=production,
        ),
    )

    @asynccontextmanager
    async def webhooks(_app: FastAPI, _base: ServiceRuntime) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await notify.webhooks.aclose()

    app = build_service_app(
        settings=settings,
        title=TITLE,
        description=DESCRIPTION,
        routers=[evenements_router, abonnements_router, livraisons_router, cle_router, courriel_router],
        job_tables=JOB_TABLES,
        job_handlers={
            livraisons.KIND: livraisons.make_handler(notify),
            avis.KIND_ENVOYER: avis.make_envoyer(notify),
            avis.KIND_RAPPORTER: avis.make_rapporter(notify),
        },
        clock=clock,
        http=notify.http,
        db=notify.db,
        relay_events=False,  # notify emits no events of its own
        lifespan=webhooks,
    )
    app.webhooks.include_router(webhooks_router)
    app.state.notify = notify
    return app
