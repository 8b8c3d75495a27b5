"""Transactional outbox and durable jobs.

A state change and the event announcing it commit together: `emit_event` writes an outbox row and
the job that relays it in the caller's transaction. Everything that must happen later (scheduled
sendings, end-of-day mode decisions, webhook retries, purges, audits, relays) is a row in `jobs`.

Claiming: one short transaction selects due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so any
number of workers share the table; SQLite serialises writers with BEGIN IMMEDIATE) and leases them
to the worker. The handler then runs in its own transaction, which also marks the job done only if
the lease is still ours: a job's effects and its completion commit atomically, and a worker that
died mid-job leaves a lease that expires and is taken again. Leases use the wall clock (they guard
against crashed processes); due dates use the injectable legal clock (so tests travel in time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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
from sqlalchemy.ext.asyncio import AsyncSession

from shared.clock import Clock
from shared.db import Database
from shared.models import UtcDateTime

logger = logging.getLogger("signif.jobs")

RELAY_KIND = "outbox.relayer"


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
    """Schedule a job in the caller's transaction; a duplicate `unique_key` is silently kept once."""
    if unique_key is not None:
        existing = await session.scalar(
            select(tables.jobs.c.id).where(tables.jobs.c.unique_key == unique_key)
        )
        if existing is not None:
            return
    await session.execute(
        insert(tables.jobs).values(
            kind=kind,
            payload=dict(payload),
            run_at=run_at,
            status="pending",
            attempts=0,
            max_attempts=max_attempts,
            unique_key=unique_key,
            created_at=now,
        )
    )


async def emit_event(
    session: AsyncSession, tables: JobTables, type_: str, donnees: Mapping[str, Any], *, now: datetime
) -> str:
    """Write an outbox event and its relay job in the caller's transaction; returns the event id."""
    event_id = str(uuid.uuid4())
    await session.execute(
        insert(tables.outbox).values(id=event_id, type=type_, donnees=dict(donnees), cree_le=now)
    )
    await enqueue(session, tables, RELAY_KIND, {"event_id": event_id}, run_at=now, now=now, max_attempts=30)
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


@dataclass
class JobRunner:
    db: Database
    tables: JobTables
    clock: Clock
    handlers: dict[str, Handler]
    worker_id: str = field(default_factory=lambda: f"w-{uuid.uuid4().hex[:12]}")
    lease_seconds: int = 300
    backoff: Callable[[int], timedelta] = exponential_backoff
    on_outcome: Callable[[str, str], None] | None = None  # (kind, "done"|"retry"|"failed"|"lease_lost")

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
        ran = 0
        while ran < limit:
            claimed = await self._claim(min(batch, limit - ran))
            if not claimed:
                break
            for job in claimed:
                await self._run_one(*job)
                ran += 1
        return ran

    async def run_forever(self, stop: asyncio.Event, *, interval: float = 0.5) -> None:
        while not stop.is_set():
            try:
                ran = await self.run_due(limit=200)
            except Exception:
                logger.exception("job runner iteration failed")
                ran = 0
            if ran == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)


class _LeaseLost(Exception):
    pass


async def count_jobs(session: AsyncSession, tables: JobTables, *, status: str | None = None) -> int:
    query = select(func.count()).select_from(tables.jobs)
    if status is not None:
        query = query.where(tables.jobs.c.status == status)
    return int(await session.scalar(query) or 0)
