"""The coffre service: `create_app(settings)` builds it; `main.py` is the only reader of the environment."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.coffre.models import JOB_TABLES
from services.coffre.settings import CoffreSettings
from shared.app import build_service_app
from shared.clock import Clock

TITLE = "Signif — coffre-fort des actes"
DESCRIPTION = (
    "Coffre-fort électronique : dépôt des actes signés, contrôles au moment de l'envoi "
    "(consentement, compétence, heures légales), horodatage RFC 3161, répertoire vérifiable, pages "
    "de retrait du destinataire, avis de réception et preuves."
)


def create_app(
    settings: CoffreSettings,
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
