"""The consent service: `create_app(settings)` builds it; `main.py` is the only reader of the environment."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.consent.models import JOB_TABLES
from services.consent.settings import ConsentSettings
from shared.app import build_service_app
from shared.clock import Clock

TITLE = "Signif — registre des consentements"
DESCRIPTION = (
    "Registre des personnes ayant consenti à la signification électronique (CPC 748-2) : "
    "déclarations, pièces, révocation, consultations par les commissaires de justice et recherches "
    "de l'autorité judiciaire."
)


def create_app(
    settings: ConsentSettings,
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
