"""Settings of the notify service (env prefix `NOTIFY_`, common ones `SIGNIF_`).

`NOTIFY_SECRET_KEY` encrypts the webhook signing secrets at rest (they must be recoverable to sign,
so they are encrypted, not hashed). Without `NOTIFY_SMTP_HOST` (the embedded default) e-mails are
written as `.eml` files under `<var_dir>/mail/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings, dev_secret


class NotifySettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", populate_by_name=True)

    service: ClassVar[str] = "notify"

    secret_key: SecretStr = dev_secret("notify-secret-key")

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_timeout: float = 30.0
    mail_from: str = "Signif <ne-pas-repondre@signif.localhost>"

    webhook_timeout: float = 15.0
    webhook_max_response_bytes: int = 64 * 1024
    #: Networks webhooks may reach although they are not public (JSON list, e.g. `["127.0.0.1/32"]` for
    #: the test suite's local receivers); empty by default, whatever `SIGNIF_ENV` says.
    webhook_allowlist: list[str] = Field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def webhook_key_path(self) -> Path:
        return self.keys_dir / "notify-webhooks.ed25519.pem"
