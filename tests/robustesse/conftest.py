"""The embedded deployment on each engine in turn (SQLite, then PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import require_postgres
from tests.robustesse.support import Embarque, embarque


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def deploiement(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Embarque]:
    if request.param == "postgresql":
        await require_postgres()
    async with embarque(request.param, tmp_path) as env:
        yield env
