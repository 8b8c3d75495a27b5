"""Fixtures for the translog tests: the published vectors and a log store on each database engine."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.translog.store import TranslogTables, TransparencyLog, define_translog_tables

VECTORS = Path(__file__).resolve().parents[2] / "data" / "vectors"


def load_vectors(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def _sqlite_autocommit(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver must not BEGIN on its own


def _sqlite_begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> AsyncEngine:
    """An async engine; on SQLite every transaction is BEGIN IMMEDIATE, so writers are serialised."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_async_engine(url)
    engine = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _sqlite_autocommit)
    event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


@dataclass
class LogDatabase:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    tables: TranslogTables
    log: TransparencyLog

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


@pytest.fixture
async def logdb(database_url: str) -> AsyncIterator[LogDatabase]:
    """A fresh database with the translog tables, on SQLite then PostgreSQL."""
    engine = make_engine(database_url)
    metadata = MetaData()
    tables = define_translog_tables(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield LogDatabase(
            engine, async_sessionmaker(engine, expire_on_commit=False), tables, TransparencyLog(tables)
        )
    finally:
        await engine.dispose()
