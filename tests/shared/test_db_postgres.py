"""PostgreSQL pool: a connection the server closed is replaced at checkout, without a ping per checkout."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text

from shared.db import Database

pytestmark = pytest.mark.postgres


async def test_a_connection_terminated_by_the_server_is_replaced(postgres_url: str) -> None:
    db = Database(postgres_url, pool_size=1, max_overflow=0)
    statements: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    closed = asyncio.Event()

    def on_close(_connection: Any) -> None:
        closed.set()

    try:
        async with db.transaction() as session:
            first = int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)
            raw = await (await session.connection()).get_raw_connection()
            assert raw.driver_connection is not None
            raw.driver_connection.add_termination_listener(on_close)
        async with db.transaction() as session:  # the pooled connection is reused...
            assert await session.scalar(text("SELECT pg_backend_pid()")) == first
        assert statements == ["SELECT pg_backend_pid()"] * 2  # ...with no ping before each use

        admin = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        async with asyncio.timeout(10):  # the idle pooled connection reads the server's close
            await closed.wait()

        async with db.transaction() as session:  # no error: replaced at checkout
            second = await session.scalar(text("SELECT pg_backend_pid()"))
        assert second not in (None, first)
    finally:
        await db.dispose()
