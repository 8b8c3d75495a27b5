"""Database plumbing: one async engine per service, one transaction per request.

SQLite (aiosqlite) is the embedded default, PostgreSQL (asyncpg) the distributed one. On SQLite
every transaction starts with `BEGIN IMMEDIATE`: writers are serialised up front instead of failing
with "database is locked" when a read transaction tries to upgrade, which is what makes the
in-process job runner and the request handlers safe on one file. Only the session dependency
commits; repositories and services never do.

Work that must follow a commit (integrating queued log leaves, `shared.translog.store`) registers an
asyncio task with `after_commit_tasks(session)` from an `after_commit` event; `Database.transaction`
waits for those tasks before it returns, so a request's response leaves after them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

_AFTER_COMMIT = "signif.db.after_commit"


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


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def after_commit_tasks(session: Session) -> list[asyncio.Task[None]]:
    """The tasks `Database.transaction` waits for once `session`'s transaction has committed."""
    tasks: list[asyncio.Task[None]] = session.info.setdefault(_AFTER_COMMIT, [])
    return tasks


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(url, **kwargs)


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
        """A session inside one transaction: committed on success, rolled back on any exception.

        After the commit, waits for the tasks the commit started (`after_commit_tasks`); a cancelled
        caller does not cancel them.
        """
        async with self.sessionmaker() as session:
            async with session.begin():
                yield session
            tasks = session.info.pop(_AFTER_COMMIT, [])
        if tasks:
            await asyncio.wait(tasks)

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
