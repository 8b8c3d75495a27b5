"""ASGI entry point of the coffre service alone (`signif serve coffre`)."""

from __future__ import annotations

from services.coffre.app import create_app
from services.coffre.settings import CoffreSettings

app = create_app(CoffreSettings())
