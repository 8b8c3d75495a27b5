"""The CLI purge commits per batch (`purger_par_lots`), so consultations never wait for the whole purge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.models import JOB_TABLES, CleDeclaration, Declaration
from services.consent.purge import service as purge
from services.consent.registre import build_registre
from shared.db import Database
from tests.services.consent.conftest import activer, consent_settings, corps, demarrer


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class CountingDatabase(Database):
    transactions = 0
    #: (start, end) of each transaction on the event loop's clock.
    spans: list[tuple[float, float]] = []  # noqa: RUF012 - reset per test

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        type(self).transactions += 1
        loop = asyncio.get_running_loop()
        start = loop.time()
        async with super().transaction() as session:
            yield session
        type(self).spans.append((start, loop.time()))


@pytest.mark.parametrize("pause", [0.0, 2.0])
async def test_one_transaction_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pause: float
) -> None:
    settings = consent_settings(tmp_path, now=instant("2024-03-01T09:00:00Z"))
    ids = []
    async with demarrer(settings) as env:
        for k in range(3):
            d = await activer(env, corps(contact={"email": f"lot{k}@example.org"}, fin=None))
            response = await env.client.post(f"/consent/v1/declarations/{d.id}/revocation", headers=d.entetes)
            assert response.status_code == 200
            ids.append(d.id)
    monkeypatch.setattr(purge, "LOT", 2)
    monkeypatch.setattr(CountingDatabase, "transactions", 0)
    monkeypatch.setattr(CountingDatabase, "spans", [])
    db = CountingDatabase(settings.effective_database_url)
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda _request: pytest.fail("no HTTP")))
    try:
        registre = build_registre(settings, http)
        bilan = await purge.purger_par_lots(db, registre, now=instant("2029-03-02T09:00:00Z"), pause=pause)
        assert sorted(bilan.declarations) == sorted(ids)
        assert CountingDatabase.transactions == 2  # a full batch of 2, then the last one (1 left)
        (debut1, fin1), (debut2, _) = CountingDatabase.spans
        # With a pause, the service has the machine to itself at least `pause` times the batch's
        # duration before the next batch begins (asyncio.sleep never returns early).
        assert debut2 - fin1 >= pause * (fin1 - debut1) * 0.99
        async with db.transaction() as session:
            for model in (Declaration, CleDeclaration):
                assert await session.scalar(select(func.count()).select_from(model)) == 0
    finally:
        await db.dispose()
        await http.aclose()


async def test_the_daily_job_destroys_one_batch_per_transaction_and_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = consent_settings(tmp_path, now=instant("2024-03-01T09:00:00Z"))
    monkeypatch.setattr(purge, "LOT", 2)
    async with demarrer(settings) as env:
        for k in range(5):
            d = await activer(env, corps(contact={"email": f"quotidien{k}@example.org"}, fin=None))
            response = await env.client.post(f"/consent/v1/declarations/{d.id}/revocation", headers=d.entetes)
            assert response.status_code == 200
        assert env.runtime.runner is not None
        await env.runtime.runner.run_due()
        await env.horloge("2029-03-02T01:00:00Z")  # 02:00 in Paris, five years later
        assert await env.runtime.runner.run_due() >= 3  # 2 + 2 + 1: the first job, two continuations
        async with env.runtime.db.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(Declaration)) == 0
            jobs = JOB_TABLES.jobs
            lignes = (
                await session.execute(
                    select(jobs.c.payload, jobs.c.status, jobs.c.run_at).where(jobs.c.kind == purge.KIND)
                )
            ).all()
        faites = [p for p, statut, _ in lignes if statut == "done"]
        assert len(faites) == 3
        assert [p["jour"] for p in faites if "suite_de" in p] == ["2029-03-02", "2029-03-02"]
        # The next day's purge is scheduled once, at 02:00 Paris time.
        suivantes = [(p["jour"], at) for p, statut, at in lignes if statut == "pending"]
        assert len(suivantes) == 1
        assert suivantes[0][0] == "2029-03-03"
        assert suivantes[0][1].astimezone(UTC) == instant("2029-03-03T01:00:00Z")
