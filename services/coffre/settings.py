"""Settings of the coffre service (env prefix `COFFRE_`, common ones `SIGNIF_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings


class CoffreSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COFFRE_", extra="ignore", populate_by_name=True)

    service: ClassVar[str] = "coffre"
