"""ASGI entry point of the coffre service alone (`signif serve coffre`)."""

from __future__ import annotations

from shared.third_party import silence_known_warnings

silence_known_warnings()  # before the libraries are imported

from services.coffre.app import create_app  # noqa: E402
from services.coffre.settings import CoffreSettings  # noqa: E402

app = create_app(CoffreSettings())
