"""Settings of the consent service (env prefix `CONSENT_`, common ones `SIGNIF_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings


class ConsentSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSENT_", extra="ignore", populate_by_name=True)

    service: ClassVar[str] = "consent"
