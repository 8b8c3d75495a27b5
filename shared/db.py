"""Database plumbing: one async engine per service, one transaction per request.

SQLite (aiosqlite) is the embedded default, PostgreSQL (asyncpg) the distributed one. On SQLite
every transaction starts with `BEGIN IMMEDIATE`: writers are serialised up front instead of failing
with "database is locked" when a read transaction tries to upgrade, which is what makes the
in-process job runner and the request handlers safe on one file. Within a process, a transaction
first waits for its turn on the engine's `WriterTurn` (taken when it begins, released when its
connection goes back to the pool): writers queue in the order they ask and the next one starts as
soon as the previous commits, where SQLite's busy handler would poll with sleeps of up to 100 ms
while the file is free. Transactions begun under `urgent_writes()` (the job runner's) go before the
other waiters, so relaying what was committed does not queue behind new requests. Lookups that
write nothing use `Database.read()`: a deferred transaction on a WAL snapshot that neither waits for
the turn nor blocks the writer, and refuses writes. Another process on the same file still meets
`busy_timeout`. Only the session dependency commits; repositories and
services never do. A failure that must be remembered (a wrong code counts an attempt) is raised like
any other, as a `ServiceError` whose class `commits`: the transaction commits, then lets it through.

Work that must follow a commit (integrating queued log leaves, `shared.translog.store`) registers an
asyncio future with `after_commit_tasks(session)` from an `after_commit` event; `Database.transaction`
waits for those futures before it returns, so a request's response leaves after them.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from shared.errors import ServiceError

_AFTER_COMMIT = "signif.db.after_commit"
_WRITER = "signif.db.sqlite_writer"
_WRITER_WAIT = 30.0
#: SQLite: one writer at a time per engine, in the order they ask (module docstring).
_WRITER_TURNS: weakref.WeakKeyDictionary[Engine, WriterTurn] = weakref.WeakKeyDictionary()
_URGENT: contextvars.ContextVar[bool] = contextvars.ContextVar("signif.db.urgent", default=False)
_READING: contextvars.ContextVar[bool] = contextvars.ContextVar("signif.db.reading", default=False)
_QUERY_ONLY = "signif.db.sqlite_query_only"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class WriterTurn:
    """One SQLite writer at a time in this process: waiters marked urgent (`urgent_writes`) go
    first, the others after them, each group in the order they asked."""

    def __init__(self) -> None:
        self.taken = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> tuple[int, int]:
        """(urgent, other) writers waiting for their turn."""
        return len(self._urgent), len(self._others)

    async def take(self, *, urgent: bool) -> None:
        if not self.taken:
            self.taken = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._others).append(waiter)
        try:
            await waiter  # resolved by `give_back`: the turn is ours
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back()  # handed over just as we were cancelled: pass it on
            raise

    def give_back(self) -> None:
        for waiters in (self._urgent, self._others):
            while waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self.taken = False


@contextmanager
def urgent_writes() -> Iterator[None]:
    """SQLite transactions begun inside this block take their turn before the others waiting (the
    job runner's: they finish work already accepted, such as relaying an event)."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE, once this process's turn to write has come (module docstring); inside
    `Database.read`, a deferred BEGIN on a snapshot, refusing writes, without waiting for the turn."""
    info = conn.info  # the pooled connection's: kept until it goes back to the pool
    reading = _READING.get()
    if info.get(_QUERY_ONLY, False) != reading:
        conn.exec_driver_sql(f"PRAGMA query_only={int(reading)}")
        info[_QUERY_ONLY] = reading
    if reading:
        conn.exec_driver_sql("BEGIN")
        return
    if _WRITER not in info and in_greenlet():
        turn = _WRITER_TURNS.setdefault(conn.engine, WriterTurn())
        await_only(_take(turn))
        info[_WRITER] = turn
    conn.exec_driver_sql("BEGIN IMMEDIATE")


async def _take(turn: WriterTurn) -> None:
    async with asyncio.timeout(_WRITER_WAIT):  # what `busy_timeout` allowed before
        await turn.take(urgent=_URGENT.get())


def _sqlite_release(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
    """The connection is back in the pool (after COMMIT or ROLLBACK) or invalidated: next writer."""
    turn = record.info.pop(_WRITER, None)
    if turn is not None:
        turn.give_back()


def after_commit_tasks(session: Session) -> list[asyncio.Future[None]]:
    """The futures (tasks) `Database.transaction` waits for once `session`'s transaction has committed."""
    tasks: list[asyncio.Future[None]] = session.info.setdefault(_AFTER_COMMIT, [])
    return tasks


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine.pool, "checkin", _sqlite_release)
        event.listen(engine.sync_engine.pool, "invalidate", _sqlite_release)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine.sync_engine.pool, "checkout", _closed_by_server)
    return engine


def _closed_by_server(_dbapi_connection: Any, _record: Any, proxy: Any) -> None:
    """Pool checkout (PostgreSQL): replace a connection the server has closed (restart, terminated
    backend, idle timeout) before it is used.

    asyncpg reads its socket all the time, so it knows a closed connection as soon as the event loop
    has seen the close: checking costs no round trip, where `pool_pre_ping` sent three (BEGIN, an
    empty query, ROLLBACK) on every checkout, a third of a consultation's (bench/consultations).
    """
    if proxy.driver_connection.is_closed():
        raise DisconnectionError("connection closed by the server")


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any exception but
        a `ServiceError` whose class `commits` (a wrong code whose attempt must count), which is
        raised on once committed: services raise every failure, callers only `except`.

        After the commit, waits for the futures the commit registered (`after_commit_tasks`); a
        cancelled caller does not cancel them.
        """
        failure: ServiceError | None = None
        async with self.sessionmaker() as session:
            async with session.begin():
                try:
                    yield session
                except ServiceError as exc:
                    if not exc.commits:
                        raise
                    failure = exc  # leaves the `begin` block normally: committed
            tasks = session.info.pop(_AFTER_COMMIT, [])
        if tasks:
            await asyncio.wait(tasks)
        if failure is not None:
            raise failure

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads: for lookups that write nothing (pages, link checks).

        On SQLite it neither waits for the writers' turn nor blocks them: a deferred transaction
        reads one consistent WAL snapshot while a writer commits, and any write in it fails
        (`PRAGMA query_only`). On PostgreSQL it is an ordinary transaction. Every transaction begun
        inside the block is read-only: open write transactions outside it.
        """
        token = _READING.set(True)
        try:
            async with self.sessionmaker() as session, session.begin():
                yield session
        finally:
            _READING.reset(token)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def database_of(request: Request) -> Database:
    db: Database = request.app.state.runtime.db
    return db


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with database_of(request).transaction() as session:
        yield session


#: The request's session; committed when the endpoint returns (before the response is sent).
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
