"""ASGI entry point of the notify service alone (`signif serve notify`)."""

from __future__ import annotations

from services.notify.app import create_app
from services.notify.settings import NotifySettings

app = create_app(NotifySettings())
