"""The outbox relay delivers each event to the real notify intake, retrying until notify accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from services.consent.app import create_app as create_consent
from services.consent.settings import ConsentSettings
from services.notify.app import create_app as create_notify
from services.notify.settings import NotifySettings
from shared.app import ServiceRuntime
from shared.clock import TestClock
from shared.jobs import RELAY_KIND, emit_event
from shared.testing.apps import commissaire_claims, issuer_for, migrate, running
from shared.testing.databases import sqlite_url

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FirstAttemptFails(httpx.AsyncBaseTransport):
    """The real notify app behind a link that drops the first request (notify down for a moment)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen == 1:
            raise httpx.ConnectError("notify down", request=request)
        return await self.inner.handle_async_request(request)


async def test_relay_delivers_to_notify_and_retries(tmp_path: Path) -> None:
    clock = TestClock(T0)
    notify_settings = NotifySettings(
        env="test",
        var_dir=tmp_path,
        run_jobs_in_process=False,
        now=T0,
        database_url=sqlite_url(tmp_path, "notify"),
    )
    consent_settings = ConsentSettings(
        env="test",
        var_dir=tmp_path,
        run_jobs_in_process=False,
        now=T0,
        database_url=sqlite_url(tmp_path, "consent"),
        metrics_token="jeton-prometheus",
    )
    await migrate(notify_settings)
    await migrate(consent_settings)
    notify_app = create_notify(notify_settings, clock=clock)
    link = FirstAttemptFails(httpx.ASGITransport(app=notify_app))
    consent_app = create_consent(consent_settings, clock=clock, http_transport=link)
    runtime: ServiceRuntime = consent_app.state.runtime
    office = commissaire_claims(office_id="office-lyon-2", cour_appel="lyon", commune_insee="69123")
    token = issuer_for(notify_settings).token(role="commissaire", sub="cj", audience="notify", **office)
    async with running(notify_app) as notify, running(consent_app) as consent:
        async with runtime.db.transaction() as session:
            event_id = await emit_event(
                session,
                runtime.job_tables,
                "acte.envoye",
                {"acte_id": "a1", "office_id": "office-lyon-2"},
                now=T0,
            )
        assert runtime.runner is not None
        await runtime.runner.run_due()
        assert link.seen == 1
        clock.advance(timedelta(minutes=1))
        await runtime.runner.run_due()
        assert link.seen == 2
        async with runtime.db.transaction() as session:
            jobs = runtime.job_tables.jobs
            relays = (
                (await session.execute(select(jobs.c.status).where(jobs.c.kind == RELAY_KIND)))
                .scalars()
                .all()
            )
            relayed = await session.scalar(select(runtime.job_tables.outbox.c.relaye_le))
        metrics = (
            await consent.get("/consent/metrics", headers={"Authorization": "Bearer jeton-prometheus"})
        ).text
        feed = await notify.get("/notify/v1/evenements", headers={"Authorization": f"Bearer {token}"})
    assert relays == ["done"]
    assert relayed == T0 + timedelta(minutes=1)
    assert 'signif_jobs_total{kind="outbox.relayer",outcome="retry",service="consent"} 1.0' in metrics
    assert 'signif_jobs_total{kind="outbox.relayer",outcome="done",service="consent"} 1.0' in metrics
    assert feed.status_code == 200, feed.text
    events = feed.json()["elements"]
    assert [e["id"] for e in events] == [event_id]
    assert json.loads(json.dumps(events[0]["donnees"])) == {"acte_id": "a1", "office_id": "office-lyon-2"}
