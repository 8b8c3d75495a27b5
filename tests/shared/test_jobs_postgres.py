"""PostgreSQL: a commit that enqueues a job wakes the runners of OTHER processes (LISTEN/NOTIFY).

Each test has two `Database` objects on the same database, as two processes would have; the runner
polls once a minute, so a job run within a few seconds was woken, not polled for.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from shared.clock import TestClock
from shared.db import Database
from shared.jobs import (
    JobContext,
    JobRunner,
    JobTables,
    count_jobs,
    define_job_tables,
    emit_event,
    enqueue,
    jobs_channel,
)

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLL = 60.0  # far longer than any wait below: a job run in time was woken by a notification
PROMPT = 5.0


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _setup(url: str) -> tuple[JobTables, Table]:
    metadata = MetaData()
    tables = define_job_tables(metadata)
    effects = Table("effects", metadata, Column("id", Integer, primary_key=True), Column("what", String(50)))
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await db.dispose()
    return tables, effects


async def _listener_pids(admin: asyncpg.Connection, url: str, channel: str) -> list[int]:
    """Backends of the test database whose last statement was the runner's LISTEN."""
    database = url.rpartition("/")[2]
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query = $2",
        database,
        f'LISTEN "{channel}"',
    )
    return [row["pid"] for row in rows]


async def _until_listening(admin: asyncpg.Connection, url: str, channel: str, *, not_: int = 0) -> int:
    """The pid of the runner's listening connection (other than `not_`), once it exists."""
    async with asyncio.timeout(PROMPT):
        while True:
            pids = [pid for pid in await _listener_pids(admin, url, channel) if pid != not_]
            if pids:
                assert len(pids) == 1
                return pids[0]
            await asyncio.sleep(0.02)


class _Ran:
    """What the worker's handler ran, in order; `until` waits for one, a few seconds at most."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._changed = asyncio.Condition()

    async def add(self, name: str) -> None:
        async with self._changed:
            self.names.append(name)
            self._changed.notify_all()

    async def until(self, name: str) -> None:
        async with asyncio.timeout(PROMPT), self._changed:  # fails if it only waited for the next poll
            await self._changed.wait_for(lambda: name in self.names)


@asynccontextmanager
async def _worker(url: str, tables: JobTables, effects: Table) -> AsyncIterator[tuple[JobRunner, _Ran]]:
    """The other process: its own Database and a runner that polls once a minute."""
    db = Database(url)
    ran = _Ran()

    async def handler(ctx: JobContext) -> None:
        await ctx.session.execute(effects.insert().values(what=ctx.payload["what"]))
        await ran.add(ctx.payload["what"])

    runner = JobRunner(db, tables, TestClock(T0), {"effet": handler})
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop, interval=POLL))
    try:
        yield runner, ran
    finally:
        stop.set()
        async with asyncio.timeout(PROMPT):
            await task
        await db.dispose()


async def _enqueue_and_roll_back(db: Database, tables: JobTables) -> None:
    async with db.transaction() as s:
        await enqueue(s, tables, "effet", {"what": "rolled-back"}, run_at=T0, now=T0)
        raise RuntimeError("abandon")


def test_the_channel_is_a_short_identifier_per_jobs_table() -> None:
    tables = define_job_tables(MetaData())
    assert jobs_channel(tables.jobs) == "signif_jobs"
    long_name = Table("Jobs-" + "x" * 80, MetaData(), Column("id", Integer), schema="Coffre")
    channel = jobs_channel(long_name)
    assert len(channel) <= 63
    assert channel.startswith("signif_coffre_jobs_xxx")
    assert all(c.isalnum() or c == "_" for c in channel)
    other = Table("Jobs-" + "x" * 81, MetaData(), Column("id", Integer), schema="Coffre")
    assert jobs_channel(other) != channel


async def test_a_job_committed_in_one_process_is_run_at_once_by_another(postgres_url: str) -> None:
    tables, effects = await _setup(postgres_url)
    admin = await asyncpg.connect(_dsn(postgres_url))
    api = Database(postgres_url)  # the process that enqueues (an API process)
    try:
        async with _worker(postgres_url, tables, effects) as (_runner, ran):
            await _until_listening(admin, postgres_url, jobs_channel(tables.jobs))
            async with api.transaction() as s:
                await enqueue(s, tables, "effet", {"what": "direct"}, run_at=T0, now=T0)
            await ran.until("direct")

            # An outbox event's relay job wakes it too (emit_event enqueues the relay job).
            async with api.transaction() as s:
                await emit_event(s, tables, "acte.envoye", {"n": 1}, now=T0)
            async with api.transaction() as s:
                await enqueue(s, tables, "effet", {"what": "after-event"}, run_at=T0, now=T0)
            await ran.until("after-event")
        assert ran.names == ["direct", "after-event"]
        async with api.transaction() as s:
            assert await count_jobs(s, tables, status="done") == 2
            assert await count_jobs(s, tables, status="pending") == 1  # the relay job: no handler here
    finally:
        await api.dispose()
        await admin.close()


async def test_only_committed_transactions_with_a_job_due_now_notify(postgres_url: str) -> None:
    tables, _ = await _setup(postgres_url)
    channel = jobs_channel(tables.jobs)
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(_dsn(postgres_url))
    await listener.add_listener(channel, lambda *args: heard.put_nowait(args[2]))
    api = Database(postgres_url)
    try:
        with pytest.raises(RuntimeError, match="abandon"):
            await _enqueue_and_roll_back(api, tables)
        async with api.transaction() as s:  # due tomorrow: polling finds it then
            await enqueue(s, tables, "effet", {"what": "later"}, run_at=T0 + timedelta(days=1), now=T0)
        async with api.transaction() as s:  # two jobs, one notification
            await enqueue(s, tables, "effet", {"what": "a"}, run_at=T0, now=T0)
            await enqueue(s, tables, "effet", {"what": "b"}, run_at=T0, now=T0)
        async with asyncio.timeout(PROMPT):
            assert await heard.get() == channel
        await listener.fetchval("SELECT 1")  # anything sent before has been read by now
        assert heard.empty()
    finally:
        await api.dispose()
        await listener.close()


async def test_a_rolled_back_transaction_runs_nothing(postgres_url: str) -> None:
    tables, effects = await _setup(postgres_url)
    admin = await asyncpg.connect(_dsn(postgres_url))
    api = Database(postgres_url)
    try:
        async with _worker(postgres_url, tables, effects) as (_runner, ran):
            await _until_listening(admin, postgres_url, jobs_channel(tables.jobs))
            with pytest.raises(RuntimeError, match="abandon"):
                await _enqueue_and_roll_back(api, tables)
            async with api.transaction() as s:
                await enqueue(s, tables, "effet", {"what": "committed"}, run_at=T0, now=T0)
            await ran.until("committed")
        assert ran.names == ["committed"]
        async with api.transaction() as s:
            assert list((await s.scalars(select(effects.c.what))).all()) == ["committed"]
            assert await count_jobs(s, tables) == 1
    finally:
        await api.dispose()
        await admin.close()


async def test_the_listener_survives_its_connection_being_terminated(postgres_url: str) -> None:
    tables, effects = await _setup(postgres_url)
    channel = jobs_channel(tables.jobs)
    admin = await asyncpg.connect(_dsn(postgres_url))
    api = Database(postgres_url)
    try:
        async with _worker(postgres_url, tables, effects) as (_runner, ran):
            first = await _until_listening(admin, postgres_url, channel)
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
            async with api.transaction() as s:  # maybe while nobody listens: found after reconnecting
                await enqueue(s, tables, "effet", {"what": "meanwhile"}, run_at=T0, now=T0)
            await ran.until("meanwhile")
            second = await _until_listening(admin, postgres_url, channel, not_=first)
            assert second != first

            async with api.transaction() as s:  # heard on the new connection
                await enqueue(s, tables, "effet", {"what": "after"}, run_at=T0, now=T0)
            await ran.until("after")
        assert ran.names == ["meanwhile", "after"]
    finally:
        await api.dispose()
        await admin.close()


async def test_stopping_closes_the_listening_connection(postgres_url: str) -> None:
    tables, effects = await _setup(postgres_url)
    channel = jobs_channel(tables.jobs)
    admin = await asyncpg.connect(_dsn(postgres_url))
    try:
        async with _worker(postgres_url, tables, effects):
            await _until_listening(admin, postgres_url, channel)
        # Closed (not left to the garbage collector): the server has ended the backend by now or
        # ends it at once after reading the Terminate message.
        async with asyncio.timeout(PROMPT):
            while True:
                if not await _listener_pids(admin, postgres_url, channel):
                    break
                await asyncio.sleep(0.02)
    finally:
        await admin.close()
