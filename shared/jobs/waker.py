"""PostgreSQL: hear other processes' commits of due jobs (LISTEN/NOTIFY), so a worker need not poll.

`listen` keeps one asyncpg connection of its own (not from the engine's pool) LISTENing on the jobs
table's channel and calls `wake` on each notification and after each (re)connection. A lost
connection is replaced after a delay that doubles from 0.1 s up to 30 s; an idle connection is checked
every 30 s (one gone without a close is otherwise never noticed). Polling goes on meanwhile: a lost
notification costs latency, never a job.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import asyncpg

from shared.db import Database

logger = logging.getLogger("signif.jobs")

_LISTEN_RETRY_FIRST = 0.1
_LISTEN_RETRY_MAX = 30.0
_LISTEN_CHECK_EVERY = 30.0
_LISTEN_TIMEOUT = 10.0


async def listen(db: Database, channel: str, wake: Callable[[], None], stop: asyncio.Event) -> None:
    """LISTEN on `channel` and call `wake` on each notification, until `stop` is set."""
    delay = _LISTEN_RETRY_FIRST

    def notified(_conn: object, _pid: int, _channel: str, _payload: object) -> None:
        wake()

    while not stop.is_set():
        conn: asyncpg.Connection | None = None
        lost = asyncio.Event()
        since: float | None = None
        try:
            conn = await asyncpg.connect(**_asyncpg_params(db), timeout=_LISTEN_TIMEOUT)
            conn.add_termination_listener(lambda _conn, event=lost: event.set())
            await conn.add_listener(channel, notified)
            since = time.monotonic()
            wake()
            while not (stop.is_set() or lost.is_set()):
                await first_of(stop, lost, delai=_LISTEN_CHECK_EVERY)
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
            await first_of(stop, delai=delay)
            delay = min(delay * 2, _LISTEN_RETRY_MAX)


async def first_of(*events: asyncio.Event, delai: float) -> None:
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
