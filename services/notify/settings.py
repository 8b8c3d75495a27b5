"""Settings of the notify service (env prefix `NOTIFY_`, common ones `SIGNIF_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings


class NotifySettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", populate_by_name=True)

    service: ClassVar[str] = "notify"
