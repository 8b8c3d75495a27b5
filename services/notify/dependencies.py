"""Request dependencies of the notify service: its runtime, settings and singletons."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from services.notify.runtime import NotifyRuntime, notify_runtime
from services.notify.settings import NotifySettings


def _runtime(request: Request) -> NotifyRuntime:
    return notify_runtime(request.app.state.runtime)


def _settings(request: Request) -> NotifySettings:
    return cast(NotifySettings, request.app.state.runtime.settings)


NotifyDep = Annotated[NotifyRuntime, Depends(_runtime)]
SettingsDep = Annotated[NotifySettings, Depends(_settings)]
