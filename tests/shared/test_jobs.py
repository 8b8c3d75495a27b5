"""Durable jobs and the transactional outbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, Table, select

from shared.clock import TestClock
from shared.db import Database
from shared.jobs import (
    RELAY_KIND,
    JobContext,
    JobRunner,
    JobTables,
    RetryLater,
    count_jobs,
    define_job_tables,
    emit_event,
    enqueue,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _setup(url: str) -> tuple[Database, JobTables, Table]:
    metadata = MetaData()
    tables = define_job_tables(metadata)
    from sqlalchemy import Column, Integer, String

    effects = Table("effects", metadata, Column("id", Integer, primary_key=True), Column("what", String(50)))
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return db, tables, effects


async def test_due_jobs_run_once_and_future_ones_wait(database_url: str) -> None:
    db, tables, effects = await _setup(database_url)
    clock = TestClock(T0)

    async def handler(ctx: JobContext) -> None:
        await ctx.session.execute(effects.insert().values(what=ctx.payload["what"]))

    runner = JobRunner(db, tables, clock, {"effet": handler})
    async with db.transaction() as s:
        await enqueue(s, tables, "effet", {"what": "now"}, run_at=T0, now=T0)
        await enqueue(s, tables, "effet", {"what": "tomorrow"}, run_at=T0 + timedelta(days=1), now=T0)
        await enqueue(s, tables, "effet", {"what": "dup"}, run_at=T0, now=T0, unique_key="k1")
        await enqueue(s, tables, "effet", {"what": "dup"}, run_at=T0, now=T0, unique_key="k1")
    assert await runner.run_due() == 2
    assert await runner.run_due() == 0
    clock.advance(timedelta(days=1))
    assert await runner.run_due() == 1
    async with db.transaction() as s:
        whats = sorted((await s.scalars(select(effects.c.what))).all())
        assert whats == ["dup", "now", "tomorrow"]
        assert await count_jobs(s, tables, status="done") == 3
    await db.dispose()


async def test_failure_rolls_back_effects_and_retries_with_backoff(database_url: str) -> None:
    db, tables, effects = await _setup(database_url)
    clock = TestClock(T0)
    calls: list[int] = []

    async def flaky(ctx: JobContext) -> None:
        calls.append(ctx.attempt)
        await ctx.session.execute(effects.insert().values(what=f"attempt-{ctx.attempt}"))
        if ctx.attempt < 3:
            raise RuntimeError("receiver down")

    runner = JobRunner(db, tables, clock, {"flaky": flaky})
    async with db.transaction() as s:
        await enqueue(s, tables, "flaky", {}, run_at=T0, now=T0, max_attempts=5)
    await runner.run_due()
    assert calls == [1]
    await runner.run_due()
    assert calls == [1], "not due again before its backoff"
    clock.advance(timedelta(seconds=30))
    await runner.run_due()
    clock.advance(timedelta(seconds=60))
    await runner.run_due()
    assert calls == [1, 2, 3]
    async with db.transaction() as s:
        assert (await s.scalars(select(effects.c.what))).all() == ["attempt-3"]
        row = (await s.execute(select(tables.jobs))).one()
        assert row.status == "done"
        assert row.attempts == 3
    await db.dispose()


async def test_exhausted_attempts_mark_the_job_failed(database_url: str) -> None:
    db, tables, _ = await _setup(database_url)
    clock = TestClock(T0)

    async def never(ctx: JobContext) -> None:
        raise RetryLater("still down", delay=timedelta(minutes=1))

    runner = JobRunner(db, tables, clock, {"never": never})
    async with db.transaction() as s:
        await enqueue(s, tables, "never", {}, run_at=T0, now=T0, max_attempts=3)
    for _ in range(5):
        await runner.run_due()
        clock.advance(timedelta(minutes=1))
    async with db.transaction() as s:
        row = (await s.execute(select(tables.jobs))).one()
        assert row.status == "failed"
        assert row.attempts == 3
        assert "still down" in row.last_error
    await db.dispose()


async def test_emit_event_writes_outbox_and_relay_job_atomically(database_url: str) -> None:
    db, tables, _ = await _setup(database_url)

    async def failing_change() -> None:
        async with db.transaction() as s:
            await emit_event(s, tables, "acte.envoye", {"acte_id": "a1"}, now=T0)
            raise RuntimeError("the state change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    async with db.transaction() as s:
        assert await count_jobs(s, tables) == 0
        event_id = await emit_event(s, tables, "acte.envoye", {"acte_id": "a1"}, now=T0)
    async with db.transaction() as s:
        event = (await s.execute(select(tables.outbox))).one()
        job = (await s.execute(select(tables.jobs))).one()
    assert event.id == event_id
    assert event.cree_le == T0
    assert job.kind == RELAY_KIND
    assert job.payload == {"event_id": event_id}
    await db.dispose()


@pytest.mark.postgres
async def test_competing_workers_run_each_job_once(postgres_url: str) -> None:
    db, tables, effects = await _setup(postgres_url)
    clock = TestClock(T0)

    async def handler(ctx: JobContext) -> None:
        await asyncio.sleep(0)  # yield so the workers interleave
        await ctx.session.execute(effects.insert().values(what=str(ctx.payload["n"])))

    async with db.transaction() as s:
        for n in range(60):
            await enqueue(s, tables, "effet", {"n": n}, run_at=T0, now=T0)
    runners = [JobRunner(db, tables, clock, {"effet": handler}, worker_id=f"w{i}") for i in range(3)]
    counts = await asyncio.gather(*(r.run_due(batch=4) for r in runners))
    assert sum(counts) == 60
    async with db.transaction() as s:
        whats = (await s.scalars(select(effects.c.what))).all()
        attempts = (await s.scalars(select(tables.jobs.c.attempts))).all()
    assert sorted(int(w) for w in whats) == list(range(60))
    assert set(attempts) == {1}
    await db.dispose()
