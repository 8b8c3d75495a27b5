"""The notify service's state: one typed object built by `create_app(settings)`.

Request handlers receive it through `services.notify.dependencies.NotifyDep`; the job handlers are built
with it. It holds the database, the clock, the two HTTP clients (closed by the app's lifespan), the
key provider, the webhook signing key, the mailer, the SMS provider and the service tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519

from services.notify.courriel.mailer import Mailer
from services.notify.courriel.sms import SmsProvider
from services.notify.settings import NotifySettings
from shared.clock import Clock
from shared.crypto.aead import KeyProvider
from shared.db import Database
from shared.service_tokens import ServiceTokens


@dataclass
class NotifyRuntime:
    settings: NotifySettings
    db: Database
    clock: Clock
    #: The client notify calls coffre and consent with.
    http: httpx.AsyncClient
    #: Webhooks' own client: every request re-checked and pinned (`abonnements.url.TransportVerifie`).
    webhooks: httpx.AsyncClient
    keys: KeyProvider
    webhook_key: ed25519.Ed25519PrivateKey
    mailer: Mailer
    sms: SmsProvider
    tokens: ServiceTokens
