"""What the notify service holds while running, beside the common `ServiceRuntime`.

Built once in `create_app` and kept in `runtime.extras["notify"]`, so request handlers and job
handlers share the same key provider, webhook signing key, mailer, SMS provider and service tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519

from services.notify.courriel.mailer import Mailer
from services.notify.courriel.sms import SmsProvider
from services.notify.settings import NotifySettings
from shared.app import ServiceRuntime
from shared.crypto.aead import KeyProvider
from shared.service_tokens import ServiceTokens

EXTRA_KEY = "notify"


@dataclass
class NotifyRuntime:
    base: ServiceRuntime
    settings: NotifySettings
    keys: KeyProvider
    webhook_key: ed25519.Ed25519PrivateKey
    mailer: Mailer
    sms: SmsProvider
    tokens: ServiceTokens

    #: Webhooks' own client: every request re-checked and pinned (`abonnements.url.TransportVerifie`).
    webhooks_client: httpx.AsyncClient | None = None

    @property
    def webhooks(self) -> httpx.AsyncClient:
        if self.webhooks_client is None:  # pragma: no cover - set by the app's lifespan
            raise RuntimeError("the webhooks client is created by the app's lifespan")
        return self.webhooks_client

    @property
    def http(self) -> httpx.AsyncClient:
        if self.base.http is None:  # pragma: no cover - set by the lifespan before any request or job
            raise RuntimeError("the HTTP client is created by the app's lifespan")
        return self.base.http


def notify_runtime(base: ServiceRuntime) -> NotifyRuntime:
    found = base.extras[EXTRA_KEY]
    if not isinstance(found, NotifyRuntime):  # pragma: no cover - set by create_app
        raise TypeError("notify runtime missing")
    return found
