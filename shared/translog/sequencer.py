"""Integration right after the commit: one loop per process, log and database.

A transaction that queued leaves (`TransparencyLog.enqueue`) marks its session; its commit
(`after_commit` event below) asks the log's `Sequencer` for an integration, and `shared.db.Database.
transaction` awaits it when the caller wants to wait. Commits made while one integration runs share
the next one, so eight concurrent commits cost one or two integrations, not eight.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Session

from shared.db import after_commit_tasks

if TYPE_CHECKING:
    from shared.translog.store import TransparencyLog

logger = logging.getLogger("signif.translog")


class Sequencer:
    """One process's post-commit integrations of one log on one database: a single loop.

    A commit that queued leaves calls `request`; the loop runs integrations back to back while
    requests keep arriving, each taking the whole queue, so the commits made during one integration
    share the next (8 commits at once: one or two integrations, not eight). The future `request`
    returns is resolved once an integration that started after the request has finished: that
    integration read the queue after the caller's commit, so it took the caller's leaves. A failed
    integration is logged and resolves its waiters too: the leaves stay queued and durable, and the
    next integration (or start-up) takes them.
    """

    def __init__(self, log: TransparencyLog) -> None:
        self._log = log
        self._requested = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._task: asyncio.Task[None] | None = None

    def request(self, engine: AsyncEngine) -> asyncio.Future[None]:
        """Ask for an integration that starts from now on; the future says when one has finished."""
        loop = asyncio.get_running_loop()
        self._requested += 1
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append((self._requested, waiter))
        if self._task is not None and self._task.get_loop() is not loop:
            # A previous event loop's (tests run one per test): its loop and waiters are gone.
            self._task = None
            self._waiters = deque(w for w in self._waiters if w[1].get_loop() is loop)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(engine))
        return waiter

    async def idle(self) -> None:
        """Return once no integration is running or requested."""
        while (task := self._task) is not None and not task.done():
            await asyncio.shield(task)

    async def _run(self, engine: AsyncEngine) -> None:
        done = 0
        # PostgreSQL: one pooled connection for back-to-back integrations, replaced after a failure.
        connection: AsyncConnection | None = None
        try:
            while True:
                while done < self._requested:
                    target = self._requested
                    try:
                        if connection is None and self._log.keeps_connection(engine):
                            connection = await engine.connect()
                        await self._log.integrate_pending(engine, connection=connection)
                    except Exception:
                        logger.exception(
                            "translog integration after commit failed", extra={"log": self._log.name}
                        )
                        await _close(connection)
                        connection = None
                    done = target
                    self._resolve(done)
                await _close(connection)
                connection = None
                # A request made while the connection was closing found this task running: take it.
                if done >= self._requested:
                    return  # no await since the check: a later request starts a new task
        finally:
            if self._task is asyncio.current_task():
                self._task = None
            if connection is not None:  # cancelled (the event loop is closing)
                self._resolve(self._requested)
                await _close(connection)

    def _resolve(self, done: int) -> None:
        while self._waiters and self._waiters[0][0] <= done:
            waiter = self._waiters.popleft()[1]
            if not waiter.done():
                waiter.set_result(None)


async def _close(connection: AsyncConnection | None) -> None:
    """Give `connection` back to the pool (or let the pool drop it if it is broken)."""
    if connection is not None:
        try:
            await connection.close()
        except Exception:
            logger.exception("translog integration connection not closed cleanly")


ENQUEUED = "signif.translog.enqueued"


@sa_event.listens_for(Session, "after_commit")
def _integrate_after_commit(session: Session) -> None:
    enqueued: dict[int, tuple[TransparencyLog, AsyncEngine, bool]] | None = session.info.pop(ENQUEUED, None)
    if not enqueued:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # pragma: no cover - a synchronous session: integration waits for the next one
        return
    for log, engine, wait in enqueued.values():
        integrated = log.sequencer(engine).request(engine)
        if wait:
            after_commit_tasks(session).append(integrated)
