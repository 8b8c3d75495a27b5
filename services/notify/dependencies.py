"""Request dependencies of the notify service: its state and settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.notify.runtime import NotifyRuntime
from services.notify.settings import NotifySettings


# Coroutines: FastAPI runs a plain `def` dependency in a worker thread (see `shared.app`).
async def _runtime(request: Request) -> NotifyRuntime:
    notify: NotifyRuntime = request.app.state.notify
    return notify


async def _settings(notify: Annotated[NotifyRuntime, Depends(_runtime)]) -> NotifySettings:
    return notify.settings


NotifyDep = Annotated[NotifyRuntime, Depends(_runtime)]
SettingsDep = Annotated[NotifySettings, Depends(_settings)]
