"""ASGI entry point of the consent service alone (`signif serve consent`)."""

from __future__ import annotations

from shared.third_party import silence_known_warnings

silence_known_warnings()  # before the libraries are imported

from services.consent.app import create_app  # noqa: E402
from services.consent.settings import ConsentSettings  # noqa: E402

app = create_app(ConsentSettings())
