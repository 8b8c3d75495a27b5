"""ASGI entry point of the consent service alone (`signif serve consent`)."""

from __future__ import annotations

from services.consent.app import create_app
from services.consent.settings import ConsentSettings

app = create_app(ConsentSettings())
