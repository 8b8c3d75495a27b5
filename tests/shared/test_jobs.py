"""Durable jobs and the transactional outbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, select

from services.notify.app import create_app as create_notify
from services.notify.settings import NotifySettings
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
from shared.testing.apps import migrate, running

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
    assert job.payload == {
        "event_id": event_id,
        "evenement": {"type": "acte.envoye", "donnees": {"acte_id": "a1"}, "cree_le": T0.isoformat()},
    }
    await db.dispose()


@pytest.mark.postgres
async def test_two_processes_scheduling_the_same_unique_job_at_once_both_succeed(postgres_url: str) -> None:
    """Two services starting together schedule the same daily job: the loser's insert waits for the
    winner's commit and then does nothing (it used to fail on the unique index and stop the start)."""
    db, tables, _ = await _setup(postgres_url)
    autre = Database(postgres_url)
    premier_insere = asyncio.Event()

    async def planifier(base: Database, attendre: bool) -> None:
        async with base.transaction() as s:
            if attendre:
                await premier_insere.wait()
            await enqueue(s, tables, "effet", {"what": "purge"}, run_at=T0, now=T0, unique_key="purge:J")
            if not attendre:
                premier_insere.set()
                await asyncio.sleep(0.2)  # the other transaction now blocks on our uncommitted row

    await asyncio.gather(planifier(db, False), planifier(autre, True))
    async with db.transaction() as s:
        assert await count_jobs(s, tables) == 1
    await autre.dispose()
    await db.dispose()


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


async def test_a_slow_job_does_not_hold_the_others_back(database_url: str) -> None:
    """The first claimed job waits until a later one has run: only a concurrent runner finishes."""
    db, tables, effects = await _setup(database_url)
    clock = TestClock(T0)
    fast_done = asyncio.Event()

    async def slow(ctx: JobContext) -> None:
        await fast_done.wait()
        await ctx.session.execute(effects.insert().values(what="slow"))

    async def fast(ctx: JobContext) -> None:
        await ctx.session.execute(effects.insert().values(what="fast"))
        fast_done.set()

    runner = JobRunner(db, tables, clock, {"slow": slow, "fast": fast}, concurrency=2)
    async with db.transaction() as s:
        await enqueue(s, tables, "slow", {}, run_at=T0, now=T0)
        await enqueue(s, tables, "fast", {}, run_at=T0 + timedelta(seconds=1), now=T0)
    clock.advance(timedelta(seconds=1))
    assert await asyncio.wait_for(runner.run_due(), timeout=20) == 2
    async with db.transaction() as s:
        assert (await s.scalars(select(effects.c.what).order_by(effects.c.id))).all() == ["fast", "slow"]
        assert await count_jobs(s, tables, status="done") == 2
    await db.dispose()


async def test_concurrency_is_bounded(database_url: str) -> None:
    db, tables, _ = await _setup(database_url)
    clock = TestClock(T0)
    now_running = 0
    most = 0

    async def handler(ctx: JobContext) -> None:
        nonlocal now_running, most
        now_running += 1
        most = max(most, now_running)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        now_running -= 1

    runner = JobRunner(db, tables, clock, {"effet": handler}, concurrency=3)
    async with db.transaction() as s:
        for n in range(20):
            await enqueue(s, tables, "effet", {"n": n}, run_at=T0, now=T0)
    assert await runner.run_due(batch=7) == 20
    assert most == 3
    await db.dispose()


async def test_a_commit_that_enqueues_wakes_the_runner(database_url: str) -> None:
    """The runner polls once a minute here; a job enqueued by a commit runs long before that."""
    db, tables, effects = await _setup(database_url)
    clock = TestClock(T0)
    ran = asyncio.Event()

    async def handler(ctx: JobContext) -> None:
        await ctx.session.execute(effects.insert().values(what="woken"))
        ran.set()

    runner = JobRunner(db, tables, clock, {"effet": handler})
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop, interval=60))
    await asyncio.sleep(0.1)  # let it find nothing and start waiting for its next poll
    async with db.transaction() as s:
        await enqueue(s, tables, "effet", {}, run_at=T0, now=T0)
    await asyncio.wait_for(ran.wait(), timeout=20)
    stop.set()
    await asyncio.wait_for(task, timeout=20)
    async with db.transaction() as s:
        assert await count_jobs(s, tables, status="done") == 1
    await db.dispose()


async def test_stopping_gives_back_claimed_jobs_not_started(database_url: str) -> None:
    db, tables, _ = await _setup(database_url)
    clock = TestClock(T0)
    stop = asyncio.Event()
    started: list[int] = []

    async def handler(ctx: JobContext) -> None:
        started.append(ctx.payload["n"])
        stop.set()  # the runner is asked to stop while the other claimed jobs wait for a slot

    runner = JobRunner(db, tables, clock, {"effet": handler}, concurrency=1)
    async with db.transaction() as s:
        for n in range(5):
            await enqueue(s, tables, "effet", {"n": n}, run_at=T0, now=T0)
    await asyncio.wait_for(runner.run_forever(stop), timeout=20)
    assert started == [0]
    async with db.transaction() as s:
        rows = (await s.execute(select(tables.jobs).order_by(tables.jobs.c.id))).all()
    assert [(r.status, r.attempts, r.locked_by) for r in rows][1:] == [("pending", 0, None)] * 4
    assert (rows[0].status, rows[0].attempts) == ("done", 1)
    assert await JobRunner(db, tables, clock, {"effet": handler}).run_due() == 4
    await db.dispose()


async def test_the_runner_of_a_service_takes_its_concurrency_from_the_settings(tmp_path: Path) -> None:
    settings = NotifySettings(
        env="test", var_dir=tmp_path, run_jobs_in_process=False, jobs_concurrency=3, now=T0
    )
    await migrate(settings)
    async with running(create_notify(settings)) as client:
        runner = client._transport.app.state.runtime.runner  # type: ignore[attr-defined]
        assert runner.concurrency == 3
    with pytest.raises(ValueError, match="jobs_concurrency"):
        NotifySettings(jobs_concurrency=0)


async def test_a_running_job_keeps_its_lease_and_a_dead_workers_job_is_retaken(database_url: str) -> None:
    """Issue 12: leases are short and renewed while the handler runs. A handler slower than the lease
    keeps its job (another runner finds nothing to take); a job claimed by a worker that then died is
    taken again once its lease (`lease_seconds`) has passed, not 5 minutes later."""
    db, tables, effects = await _setup(database_url)
    clock = TestClock(T0)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(ctx: JobContext) -> None:
        started.set()
        await release.wait()
        await ctx.session.execute(effects.insert().values(what=f"slow-{ctx.attempt}"))

    async with db.transaction() as s:
        await enqueue(s, tables, "slow", {}, run_at=T0, now=T0)
    lent = JobRunner(db, tables, clock, {"slow": slow}, worker_id="lent", lease_seconds=3)
    autre = JobRunner(db, tables, clock, {"slow": slow}, worker_id="autre", lease_seconds=3)
    tache = asyncio.create_task(lent.run_due())
    await started.wait()
    await asyncio.sleep(4.5)  # one and a half leases: renewed twice meanwhile
    assert await autre.run_due() == 0
    release.set()
    assert await tache == 1

    # A worker "dies" holding a job: claimed (lease set), never run, never released.
    async with db.transaction() as s:
        await enqueue(s, tables, "slow", {}, run_at=T0, now=T0)
    mort = JobRunner(db, tables, clock, {"slow": slow}, worker_id="mort", lease_seconds=3)
    assert len(await mort._claim(1)) == 1
    assert await autre.run_due() == 0  # its lease still holds
    await asyncio.sleep(4.5)  # past the lease (whole seconds of wall clock: up to one more)
    assert await autre.run_due() == 1  # taken again once the lease is over, its attempt counted
    async with db.transaction() as s:
        whats = sorted((await s.scalars(select(effects.c.what))).all())
    assert whats == ["slow-1", "slow-2"]
    await db.dispose()
