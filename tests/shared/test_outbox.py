"""The outbox relay delivers each event to notify with a service token, retrying until notify accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from sqlalchemy import select

from services.consent.app import create_app
from services.consent.settings import ConsentSettings
from shared.app import ServiceRuntime
from shared.clock import TestClock
from shared.jobs import count_jobs, emit_event
from shared.testing.apps import migrate, running
from shared.testing.databases import sqlite_url

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_relay_posts_events_and_retries(tmp_path: Path) -> None:
    received: list[tuple[dict[str, Any], str]] = []
    answers = [503, 202]

    def notify(request: httpx.Request) -> httpx.Response:
        """Stands in for notify's intake: records what the relay sends, fails once."""
        received.append((json.loads(request.content), request.headers["authorization"]))
        return httpx.Response(answers.pop(0))

    settings = ConsentSettings(
        env="test", var_dir=tmp_path, database_url=sqlite_url(tmp_path), run_jobs_in_process=False, now=T0
    )
    await migrate(settings)
    clock = TestClock(T0)
    app = create_app(settings, clock=clock, http_transport=httpx.MockTransport(notify))
    runtime: ServiceRuntime = app.state.runtime
    async with running(app) as client:
        async with runtime.db.transaction() as session:
            event_id = await emit_event(
                session, runtime.job_tables, "declaration.acceptee", {"id": "d1"}, now=T0
            )
        assert runtime.runner is not None
        await runtime.runner.run_due()
        assert len(received) == 1
        clock.advance(timedelta(minutes=1))
        await runtime.runner.run_due()
        async with runtime.db.transaction() as session:
            relayed = await session.scalar(select(runtime.job_tables.outbox.c.relaye_le))
            assert await count_jobs(session, runtime.job_tables, status="done") == 1
        metrics = (await client.get("/consent/metrics")).text
    assert 'signif_jobs_total{kind="outbox.relayer",outcome="retry",service="consent"} 1.0' in metrics
    assert 'signif_jobs_total{kind="outbox.relayer",outcome="done",service="consent"} 1.0' in metrics
    assert len(received) == 2
    body, authorization = received[1]
    assert body == {
        "id": event_id,
        "type": "declaration.acceptee",
        "source": "consent",
        "cree_le": "2026-03-02T09:00:00Z",
        "donnees": {"id": "d1"},
    }
    claims = jwt.decode(authorization.removeprefix("Bearer "), options={"verify_signature": False})
    assert claims["role"] == "service"
    assert claims["aud"] == "notify"
    assert relayed == T0 + timedelta(minutes=1)
