"""`JobRunner`: claims due jobs under a lease, runs each in its own transaction, retries with back-off.

See the package docstring for claiming, leases and concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.clock import Clock
from shared.db import Database, urgent_writes
from shared.jobs.queue import register_runner
from shared.jobs.tables import JobTables, jobs_channel
from shared.jobs.waker import first_of, listen

logger = logging.getLogger("signif.jobs")

#: Jobs a runner runs at once (each in its own transaction).
DEFAULT_CONCURRENCY = 8
#: How long `run_forever` waits for its listener to stop.
_LISTEN_STOP_TIMEOUT = 10.0


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
        register_runner(self.db, self)

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
                    await first_of(stop, self._reveil, delai=interval)
        finally:
            done.set()
            if listener is not None:
                try:
                    await asyncio.wait_for(listener, timeout=_LISTEN_STOP_TIMEOUT)
                except Exception:
                    logger.warning("job listener did not stop cleanly", exc_info=True)

    async def _listen(self, stop: asyncio.Event) -> None:
        """PostgreSQL: wake this runner when another process commits a job due now (`waker.listen`)."""
        await listen(self.db, jobs_channel(self.tables.jobs), self.wake, stop)

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


class _LeaseLost(Exception):
    pass
