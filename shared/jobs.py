"""Transactional outbox and durable jobs.

A state change and the event announcing it commit together: `emit_event` writes an outbox row and
the job that relays it in the caller's transaction. Everything that must happen later (scheduled
sendings, end-of-day mode decisions, webhook retries, purges, audits, relays) is a row in `jobs`.

Claiming: one short transaction selects due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so any
number of workers share the table; SQLite serialises writers with BEGIN IMMEDIATE) and leases them
to the worker. The handler then runs in its own transaction, which also marks the job done only if
the lease is still ours: a job's effects and its completion commit atomically, and a worker that
died mid-job leaves a lease that expires and is taken again: leases last `JobRunner.lease_seconds`
(30 s, `SIGNIF_JOBS_BAIL_SECONDES`) and are renewed while the handler runs, so a killed worker's job
is retried within that bound. Leases use the wall clock (they guard against crashed processes); due
dates use the injectable legal clock (so tests travel in time).

A runner runs several claimed jobs at once (`JobRunner.concurrency`), each in its own session and
transaction, so one slow webhook endpoint does not hold the others back. Handlers therefore must not
hold their job's transaction open across a slow call on SQLite (its first statement takes the write
lock): read what they need in a short transaction of their own, call out, then write in `ctx.session`.

Waking: a commit that enqueued a job wakes the runners of the same database in this process at once
(`after_commit`). On PostgreSQL, a transaction that enqueued a job due now (an outbox event's relay
job included) also sends `NOTIFY` on the jobs table's channel (`jobs_channel`) just before it
commits, so other processes' runners (the distributed deployment's workers) hear of it if and when it
commits; each `run_forever` keeps one asyncpg connection of its own LISTENing (`_listen`). Polling
every `interval` remains underneath: a lost notification or connection costs latency, never a job.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
import uuid
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.clock import Clock
from shared.db import Database, urgent_writes
from shared.models import UtcDateTime

logger = logging.getLogger("signif.jobs")

RELAY_KIND = "outbox.relayer"
#: Jobs a runner runs at once (each in its own transaction).
DEFAULT_CONCURRENCY = 8
#: PostgreSQL listener: first wait before reconnecting (doubled up to the cap), and how often an idle
#: listening connection is checked (a connection gone without a close is otherwise never noticed).
_LISTEN_RETRY_FIRST = 0.1
_LISTEN_RETRY_MAX = 30.0
_LISTEN_CHECK_EVERY = 30.0
_LISTEN_TIMEOUT = 10.0


@dataclass(frozen=True)
class JobTables:
    outbox: Table
    jobs: Table


def define_job_tables(metadata: MetaData) -> JobTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("type", String(64), nullable=False),
        Column("donnees", JSON, nullable=False),
        Column("cree_le", UtcDateTime(), nullable=False),
        Column("relaye_le", UtcDateTime(), nullable=True),
    )
    jobs = Table(
        "jobs",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("kind", String(64), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("run_at", UtcDateTime(), nullable=False),
        Column("status", String(16), nullable=False, default="pending"),
        Column("attempts", Integer, nullable=False, default=0),
        Column("max_attempts", Integer, nullable=False, default=10),
        Column("unique_key", String(200), nullable=True, unique=True),
        Column("locked_by", String(64), nullable=True),
        Column("lease_until", Integer, nullable=True),  # wall-clock epoch seconds
        Column("last_error", Text, nullable=True),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("finished_at", UtcDateTime(), nullable=True),
        Index("ix_jobs_due", "status", "run_at"),
    )
    return JobTables(outbox=outbox, jobs=jobs)


def jobs_channel(jobs: Table) -> str:
    """The PostgreSQL NOTIFY/LISTEN channel of a jobs table: a lowercase identifier of at most 63
    bytes (`signif_jobs` for the services' `jobs` table; the schema is part of it when set)."""
    name = f"{jobs.schema}.{jobs.name}" if jobs.schema else jobs.name
    channel = "signif_" + re.sub(r"[^a-z0-9_]", "_", name.lower())
    if len(channel) > 63:
        channel = channel[:50] + "_" + hashlib.sha256(name.encode()).hexdigest()[:12]
    return channel


async def enqueue(
    session: AsyncSession,
    tables: JobTables,
    kind: str,
    payload: Mapping[str, Any],
    *,
    run_at: datetime,
    now: datetime,
    unique_key: str | None = None,
    max_attempts: int = 10,
) -> None:
    """Schedule a job in the caller's transaction; a duplicate `unique_key` is silently kept once,
    atomically (`ON CONFLICT DO NOTHING`: two processes scheduling the same job at once both succeed).

    When that transaction commits, the runners of the same database in this process wake up; on
    PostgreSQL, a job due now also wakes other processes' runners (NOTIFY, sent at commit)."""
    values = {
        "kind": kind,
        "payload": dict(payload),
        "run_at": run_at,
        "status": "pending",
        "attempts": 0,
        "max_attempts": max_attempts,
        "unique_key": unique_key,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    if unique_key is not None and dialect in ("postgresql", "sqlite"):
        variant = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = variant(tables.jobs).values(values).on_conflict_do_nothing(index_elements=["unique_key"])
        await session.execute(stmt)
    else:
        await session.execute(insert(tables.jobs).values(values))
    session.info[_ENQUEUED] = True
    if dialect == "postgresql" and run_at <= now:  # later ones are found by polling when due
        session.info.setdefault(_NOTIFY, set()).add(jobs_channel(tables.jobs))


async def emit_event(
    session: AsyncSession, tables: JobTables, type_: str, donnees: Mapping[str, Any], *, now: datetime
) -> str:
    """Write an outbox event and its relay job in the caller's transaction; returns the event id."""
    event_id = str(uuid.uuid4())
    await session.execute(
        insert(tables.outbox).values(id=event_id, type=type_, donnees=dict(donnees), cree_le=now)
    )
    # The relay job carries a copy of the event, so relaying needs no read before its HTTP call.
    copie = {"type": type_, "donnees": dict(donnees), "cree_le": now.isoformat()}
    await enqueue(
        session,
        tables,
        RELAY_KIND,
        {"event_id": event_id, "evenement": copie},
        run_at=now,
        now=now,
        max_attempts=30,
    )
    return event_id


@dataclass
class JobContext:
    session: AsyncSession
    job_id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    now: datetime


Handler = Callable[[JobContext], Awaitable[None]]


class RetryLater(Exception):
    """Raised by a handler to be run again after `delay` (counts as an attempt)."""

    def __init__(self, reason: str, delay: timedelta | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


def exponential_backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 6 h: 25 attempts span more than three days."""
    return timedelta(seconds=min(30 * 2 ** max(attempt - 1, 0), 6 * 3600))


@dataclass(eq=False)
class JobRunner:
    """Claims due jobs in batches and runs up to `concurrency` of them at once, each in its own
    transaction (see the module docstring). Claimed jobs wait in a local queue for a free slot; a
    new batch is claimed when the queue is empty and a slot is free. A commit that enqueued a job
    through this runner's database wakes it at once (`enqueue` marks the session, `after_commit`
    signals), so a job due now does not wait for the next poll. On PostgreSQL, `run_forever` also
    LISTENs for other processes' commits (module docstring); polling every `interval` seconds finds
    the rest (jobs that became due, retries, expired leases, a notification lost with its
    connection)."""

    db: Database
    tables: JobTables
    clock: Clock
    handlers: dict[str, Handler]
    worker_id: str = field(default_factory=lambda: f"w-{uuid.uuid4().hex[:12]}")
    #: A claimed job is the worker's for this long, renewed every third of it while its handler runs
    #: (`_heartbeat`): a worker killed mid-job (a webhook call in flight) leaves its job to be taken
    #: again at most `lease_seconds` (+ one poll `interval`) later; a live one never loses it however
    #: slow the handler.
    lease_seconds: int = 30
    backoff: Callable[[int], timedelta] = exponential_backoff
    on_outcome: Callable[[str, str], None] | None = None  # (kind, "done"|"retry"|"failed"|"lease_lost")
    concurrency: int = DEFAULT_CONCURRENCY
    _reveil: asyncio.Event = field(init=False, repr=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        _runners_of(self.db).add(self)

    def wake(self) -> None:
        """Look for due jobs now rather than at the next poll."""
        self._reveil.set()

    def _record(self, kind: str, outcome: str) -> None:
        if self.on_outcome is not None:
            self.on_outcome(kind, outcome)

    async def _claim(self, limit: int) -> list[tuple[int, str, dict[str, Any], int, int]]:
        jobs = self.tables.jobs
        now = self.clock.now()
        wall = int(time.time())
        async with self.db.transaction() as session:
            query = (
                select(jobs.c.id)
                .where(
                    jobs.c.kind.in_(list(self.handlers)),
                    or_(
                        (jobs.c.status == "pending") & (jobs.c.run_at <= now),
                        (jobs.c.status == "running") & (jobs.c.lease_until < wall),
                    ),
                )
                .order_by(jobs.c.run_at, jobs.c.id)
                .limit(limit)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            ids = list((await session.scalars(query)).all())
            if not ids:
                return []
            await session.execute(
                update(jobs)
                .where(jobs.c.id.in_(ids))
                .values(
                    status="running",
                    locked_by=self.worker_id,
                    lease_until=wall + self.lease_seconds,
                    attempts=jobs.c.attempts + 1,
                )
            )
            rows = await session.execute(
                select(jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.attempts, jobs.c.max_attempts)
                .where(jobs.c.id.in_(ids))
                .order_by(jobs.c.run_at, jobs.c.id)
            )
            return [(r.id, r.kind, dict(r.payload), r.attempts, r.max_attempts) for r in rows]

    async def _run_one(
        self, job_id: int, kind: str, payload: dict[str, Any], attempt: int, max_attempts: int
    ) -> bool:
        heartbeat = asyncio.create_task(self._heartbeat(job_id))
        try:
            return await self._run_leased(job_id, kind, payload, attempt, max_attempts)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _heartbeat(self, job_id: int) -> None:
        """Renew the job's lease every third of `lease_seconds` while it runs (cancelled at its end).
        A renewal that fails (database busy or away) is retried at the next beat; the lease has two
        more beats of margin."""
        jobs = self.tables.jobs
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                async with self.db.transaction() as session:
                    await session.execute(
                        update(jobs)
                        .where(
                            jobs.c.id == job_id,
                            jobs.c.locked_by == self.worker_id,
                            jobs.c.status == "running",
                        )
                        .values(lease_until=int(time.time()) + self.lease_seconds)
                    )
            except Exception:
                logger.warning("job lease renewal failed", extra={"job_id": job_id}, exc_info=True)

    async def _run_leased(
        self, job_id: int, kind: str, payload: dict[str, Any], attempt: int, max_attempts: int
    ) -> bool:
        jobs = self.tables.jobs
        try:
            async with self.db.transaction() as session:
                now = self.clock.now()
                await self.handlers[kind](JobContext(session, job_id, kind, payload, attempt, now))
                done = await session.execute(
                    update(jobs)
                    .where(
                        jobs.c.id == job_id, jobs.c.locked_by == self.worker_id, jobs.c.status == "running"
                    )
                    .values(status="done", finished_at=now, lease_until=None, last_error=None)
                )
                if done.rowcount != 1:  # type: ignore[attr-defined]
                    raise _LeaseLost(job_id)
            self._record(kind, "done")
            return True
        except _LeaseLost:
            logger.warning("job lease lost; effects rolled back", extra={"job_id": job_id, "kind": kind})
            self._record(kind, "lease_lost")
            return False
        except Exception as exc:
            delay = exc.delay if isinstance(exc, RetryLater) and exc.delay else self.backoff(attempt)
            final = attempt >= max_attempts
            if not isinstance(exc, RetryLater):
                logger.warning(
                    "job failed",
                    extra={"job_id": job_id, "kind": kind, "attempt": attempt, "error": type(exc).__name__},
                )
            async with self.db.transaction() as session:
                now = self.clock.now()
                await session.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.locked_by == self.worker_id)
                    .values(
                        status="failed" if final else "pending",
                        run_at=now + delay,
                        lease_until=None,
                        last_error=f"{type(exc).__name__}: {str(exc)[:500]}",
                        finished_at=now if final else None,
                    )
                )
            self._record(kind, "failed" if final else "retry")
            return False

    async def run_due(self, *, limit: int = 1000, batch: int = 20) -> int:
        """Run jobs due at the clock's current instant (including jobs they enqueue); returns how many ran."""
        return await self._pipeline(limit=limit, batch=batch)

    async def run_forever(self, stop: asyncio.Event, *, interval: float = 0.5, batch: int = 20) -> None:
        """Run due jobs until `stop` is set, then let the running ones finish. On PostgreSQL a
        listening connection of its own wakes the runner when another process commits a job due now;
        it is closed once the runner has stopped."""
        done = asyncio.Event()  # set once this loop has ended: the listener then closes its connection
        listener = None if self.db.is_sqlite else asyncio.create_task(self._listen(done))
        try:
            while not stop.is_set():
                self._reveil.clear()
                try:
                    await self._pipeline(limit=None, batch=batch, stop=stop)
                except Exception:
                    logger.exception("job runner iteration failed")
                if not self._reveil.is_set():
                    await _first_of(stop, self._reveil, delai=interval)
        finally:
            done.set()
            if listener is not None:
                try:
                    await asyncio.wait_for(listener, timeout=_LISTEN_TIMEOUT)
                except Exception:
                    logger.warning("job listener did not stop cleanly", exc_info=True)

    async def _listen(self, stop: asyncio.Event) -> None:
        """PostgreSQL: LISTEN on the jobs table's channel on a connection of its own (not from the
        engine's pool) and wake the runner on each notification, until `stop`. A lost connection is
        replaced after a delay that doubles from 0.1 s up to 30 s while connections fail or drop at
        once; the runner is woken after each (re)connection, for what was notified while nobody
        listened. Polling goes on meanwhile."""
        channel = jobs_channel(self.tables.jobs)
        delay = _LISTEN_RETRY_FIRST
        while not stop.is_set():
            conn: asyncpg.Connection | None = None
            lost = asyncio.Event()
            since: float | None = None
            try:
                conn = await asyncpg.connect(**_asyncpg_params(self.db), timeout=_LISTEN_TIMEOUT)
                conn.add_termination_listener(lambda _conn, event=lost: event.set())
                await conn.add_listener(channel, self._notified)
                since = time.monotonic()
                self.wake()
                while not (stop.is_set() or lost.is_set()):
                    await _first_of(stop, lost, delai=_LISTEN_CHECK_EVERY)
                    if not (stop.is_set() or lost.is_set()):
                        await conn.execute("SELECT 1", timeout=_LISTEN_TIMEOUT)
                if not stop.is_set():
                    logger.warning("job listener connection lost", extra={"channel": channel})
            except Exception as exc:
                logger.warning(
                    "job listener connection failed",
                    extra={"channel": channel, "error": type(exc).__name__, "retry_in": delay},
                )
            finally:
                if conn is not None:
                    await _close_quietly(conn)
            if since is not None and time.monotonic() - since > _LISTEN_CHECK_EVERY:
                delay = _LISTEN_RETRY_FIRST  # it had been listening a while: try again soon
            if not stop.is_set():
                await _first_of(stop, delai=delay)
                delay = min(delay * 2, _LISTEN_RETRY_MAX)

    def _notified(self, _conn: object, _pid: int, _channel: str, _payload: object) -> None:
        self.wake()

    async def _pipeline(self, *, limit: int | None, batch: int, stop: asyncio.Event | None = None) -> int:
        """Claim and run until nothing is due (or `limit` jobs ran, or `stop`); returns how many ran.
        On SQLite the runner's transactions (and its jobs', which inherit the context) take their
        turn before requests waiting to write (`urgent_writes`)."""
        with urgent_writes():
            return await self._pipeline_urgent(limit=limit, batch=batch, stop=stop)

    async def _pipeline_urgent(self, *, limit: int | None, batch: int, stop: asyncio.Event | None) -> int:
        queue: deque[_Claimed] = deque()
        running: set[asyncio.Task[bool]] = set()
        ran = 0
        more = True  # the last claim was full, or a commit enqueued something since
        try:
            while True:
                stopping = stop is not None and stop.is_set()
                while queue and len(running) < self.concurrency and not stopping:
                    running.add(asyncio.create_task(self._run_one(*queue.popleft())))
                room = batch if limit is None else min(batch, limit - ran - len(running))
                if more and not queue and len(running) < self.concurrency and room > 0 and not stopping:
                    self._reveil.clear()
                    claimed = await self._claim(room)
                    more = len(claimed) == room
                    queue.extend(claimed)
                    if claimed:
                        continue
                if not running:
                    return ran
                waiter = asyncio.ensure_future(self._reveil.wait())
                done, _ = await asyncio.wait({*running, waiter}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                finished = done - {waiter}
                running -= finished
                ran += len(finished)
                if self._reveil.is_set():  # noted, so a full runner does not spin on it
                    self._reveil.clear()
                    more = True
        finally:
            if running:  # cancelled: let the jobs already started finish (each commits or not)
                await asyncio.gather(*running, return_exceptions=True)
            if queue:
                await self._release(list(queue))

    async def _release(self, jobs: list[_Claimed]) -> None:
        """Give back claimed jobs never started (their attempt is not counted)."""
        table = self.tables.jobs
        async with self.db.transaction() as session:
            await session.execute(
                update(table)
                .where(table.c.id.in_([j[0] for j in jobs]), table.c.locked_by == self.worker_id)
                .values(status="pending", locked_by=None, lease_until=None, attempts=table.c.attempts - 1)
            )


_Claimed = tuple[int, str, dict[str, Any], int, int]


async def _first_of(*events: asyncio.Event, delai: float) -> None:
    """Wait until one of `events` is set or `delai` seconds have passed."""
    waiters = {asyncio.ensure_future(event.wait()) for event in events}
    try:
        await asyncio.wait(waiters, timeout=delai, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _asyncpg_params(db: Database) -> dict[str, Any]:
    """asyncpg.connect's arguments for the engine's URL (host, port, user, password, database, ssl...)."""
    url = db.engine.url
    _args, params = db.engine.sync_engine.dialect.create_connect_args(url)
    for sqlalchemy_only in (
        "prepared_statement_cache_size",
        "prepared_statement_name_func",
        "async_creator_fn",
    ):
        params.pop(sqlalchemy_only, None)
    return dict(params)


async def _close_quietly(conn: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(conn.close(), timeout=2)
    except Exception:
        conn.terminate()


# --- waking the runners of a database after a commit that enqueued -------------------------------

_ENQUEUED = "signif.jobs.enqueued"
_NOTIFY = "signif.jobs.notify"
_RUNNERS: weakref.WeakKeyDictionary[Engine, weakref.WeakSet[JobRunner]] = weakref.WeakKeyDictionary()


def _runners_of(db: Database) -> weakref.WeakSet[JobRunner]:
    return _RUNNERS.setdefault(db.engine.sync_engine, weakref.WeakSet())


@sa_event.listens_for(Session, "after_commit")
def _wake_runners(session: Session) -> None:
    if not session.info.pop(_ENQUEUED, False):
        return
    bind = session.bind
    engine = bind.engine if isinstance(bind, Connection) else bind
    if isinstance(engine, Engine):
        for runner in list(_RUNNERS.get(engine, ())):
            runner.wake()


@sa_event.listens_for(Session, "before_commit")
def _notify_other_processes(session: Session) -> None:
    """PostgreSQL: NOTIFY in the committing transaction, so it is delivered only if it commits (and
    once per channel, however many jobs it enqueued)."""
    channels: set[str] | None = session.info.pop(_NOTIFY, None)
    for channel in sorted(channels or ()):
        session.execute(select(func.pg_notify(channel, "")))


@sa_event.listens_for(Session, "after_rollback")
def _forget_enqueued(session: Session) -> None:
    session.info.pop(_ENQUEUED, None)
    session.info.pop(_NOTIFY, None)


class _LeaseLost(Exception):
    pass


async def count_jobs(session: AsyncSession, tables: JobTables, *, status: str | None = None) -> int:
    query = select(func.count()).select_from(tables.jobs)
    if status is not None:
        query = query.where(tables.jobs.c.status == status)
    return int(await session.scalar(query) or 0)
