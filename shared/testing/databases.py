"""Throw-away databases for tests: a SQLite file, or a PostgreSQL database created and dropped.

PostgreSQL is the local server (127.0.0.1:5432, trust auth) unless `SIGNIF_TEST_PG_DSN` names
another admin DSN. Outside CI a missing server only skips the PostgreSQL half of the suite; in CI
(`CI=true`) it is a failure, because the distributed deployment runs on PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

ADMIN_DSN = os.environ.get("SIGNIF_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


async def postgres_reachable() -> bool:
    try:
        conn = await asyncpg.connect(ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


def _sqlalchemy_url(dsn: str, database: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + database


@asynccontextmanager
async def temporary_postgres(prefix: str = "signif_test") -> AsyncIterator[str]:
    """Create a fresh PostgreSQL database, yield its SQLAlchemy URL, drop it afterwards."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _sqlalchemy_url(ADMIN_DSN, name)
    finally:
        admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def sqlite_url(directory: Path, name: str = "test") -> str:
    return f"sqlite+aiosqlite:///{directory / (name + '.db')}"
