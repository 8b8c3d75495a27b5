"""A running notify app on a real database, with a real SMTP server and a real HTTP receiver.

The receiver plays both the offices' webhook endpoints and (through fixed routes) the consent and
coffre internal endpoints notify calls for the avis de mise à disposition.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.notify.app import create_app
from services.notify.runtime import NotifyRuntime
from services.notify.settings import NotifySettings
from shared.app import ServiceRuntime
from shared.issuer import DevIssuer
from shared.testing.apps import commissaire_claims, issuer_for, migrate, running
from shared.testing.databases import sqlite_url
from shared.testing.smtp import SmtpServer, smtp_server
from shared.testing.webhooks import WebhookReceiver, webhook_receiver

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@dataclass
class Notify:
    client: httpx.AsyncClient
    settings: NotifySettings
    issuer: DevIssuer
    receiver: WebhookReceiver
    smtp: SmtpServer

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.client._transport.app.state.runtime  # type: ignore[attr-defined]
        return runtime

    @property
    def notify(self) -> NotifyRuntime:
        notify: NotifyRuntime = self.client._transport.app.state.notify  # type: ignore[attr-defined]
        return notify

    def service(self) -> dict[str, str]:
        token = self.issuer.token(role="service", sub="service:coffre", audience="notify")
        return {"Authorization": f"Bearer {token}"}

    def commissaire(self, office_id: str = "office-paris-1") -> dict[str, str]:
        token = self.issuer.token(
            role="commissaire",
            sub=f"cj-{office_id}",
            audience="notify",
            **commissaire_claims(office_id=office_id),
        )
        return {"Authorization": f"Bearer {token}"}

    async def run_jobs(self) -> int:
        assert self.runtime.runner is not None
        return await self.runtime.runner.run_due()

    async def advance(self, delta: timedelta) -> None:
        clock = self.runtime.clock
        clock.set(clock.now() + delta)  # type: ignore[attr-defined]

    async def emit(
        self, type_: str, donnees: dict[str, Any], *, event_id: str | None = None
    ) -> httpx.Response:
        body = {
            "id": event_id or str(uuid.uuid4()),
            "type": type_,
            "source": "coffre",
            "cree_le": self.runtime.clock.now().isoformat(),
            "donnees": donnees,
        }
        return await self.client.post("/notify/v1/evenements", json=body, headers=self.service())

    async def subscribe(
        self, url: str, types: list[str], office_id: str = "office-paris-1"
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/notify/v1/abonnements", json={"url": url, "types": types}, headers=self.commissaire(office_id)
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def start_notify(
    tmp_path: Path, database_url: str, *, receiver: WebhookReceiver | None = None, **overrides: Any
) -> AsyncIterator[Notify]:
    async with contextlib.AsyncExitStack() as stack:
        if receiver is None:
            receiver = await stack.enter_async_context(webhook_receiver())
        smtp = await stack.enter_async_context(smtp_server())
        fields: dict[str, Any] = {
            "env": "test",
            "var_dir": tmp_path,
            "database_url": database_url,
            "run_jobs_in_process": False,
            "now": T0,
            "consent_url": receiver.url,
            "coffre_url": receiver.url,
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_starttls": False,
            "mail_from": "Signif <ne-pas-repondre@signif.example.fr>",
            "webhook_timeout": 5.0,
            # The local receivers: allowed explicitly, as a deployment would (never by SIGNIF_ENV).
            "webhook_allowlist": ["127.0.0.1/32"],
        }
        fields.update(overrides)
        settings = NotifySettings(**fields)
        await migrate(settings)
        app = create_app(settings)
        async with running(app) as client:
            yield Notify(client, settings, issuer_for(settings), receiver, smtp)


@pytest.fixture
async def notify(tmp_path: Path) -> AsyncIterator[Notify]:
    """On SQLite (fast)."""
    async with start_notify(tmp_path, sqlite_url(tmp_path)) as harness:
        yield harness


@pytest.fixture
async def notify_db(tmp_path: Path, database_url: str) -> AsyncIterator[Notify]:
    """On SQLite and PostgreSQL in turn."""
    async with start_notify(tmp_path, database_url) as harness:
        yield harness
