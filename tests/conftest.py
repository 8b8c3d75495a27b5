"""Suite-wide fixtures: throw-away databases on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.testing.databases import in_ci, postgres_reachable, sqlite_url, temporary_postgres

_pg_state: dict[str, bool] = {}


async def require_postgres() -> None:
    if "ok" not in _pg_state:
        _pg_state["ok"] = await postgres_reachable()
    if not _pg_state["ok"]:
        if in_ci():
            pytest.fail("PostgreSQL is required in CI (127.0.0.1:5432, trust auth) and is not reachable")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL (SQLAlchemy async form) on each engine in turn."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    await require_postgres()
    async with temporary_postgres() as url:
        yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, for behaviour that only PostgreSQL deployments have."""
    await require_postgres()
    async with temporary_postgres() as url:
        yield url
