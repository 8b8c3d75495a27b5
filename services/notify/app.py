"""The notify service: `create_app(settings)` builds it; `main.py` is the only reader of the environment."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.notify.models import JOB_TABLES
from services.notify.settings import NotifySettings
from shared.app import build_service_app
from shared.clock import Clock

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
) -> FastAPI:
    return build_service_app(
        settings=settings,
        title=TITLE,
        description=DESCRIPTION,
        routers=[],
        job_tables=JOB_TABLES,
        clock=clock,
        http_transport=http_transport,
    )
