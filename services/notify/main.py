"""ASGI entry point of the notify service alone (`signif serve notify`)."""

from __future__ import annotations

from shared.third_party import silence_known_warnings

silence_known_warnings()  # before the libraries are imported

from services.notify.app import create_app  # noqa: E402
from services.notify.settings import NotifySettings  # noqa: E402

app = create_app(NotifySettings())
