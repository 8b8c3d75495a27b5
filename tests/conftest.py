"""Suite-wide fixtures: throw-away databases on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

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


@pytest.fixture(autouse=True, scope="session")
def feuilles_conformes() -> Iterator[None]:
    """Every leaf the suite writes to consent's registry or the coffre's répertoire is checked against
    its type's schema (`shared.evidence.feuilles`) as it is written: one that does not conform fails
    the test that wrote it."""
    from services.coffre.models import Base as CoffreBase
    from services.consent.models import Base as ConsentBase
    from shared.evidence.feuilles import valider
    from shared.translog.store import TransparencyLog

    journaux = {id(ConsentBase.metadata): "registre", id(CoffreBase.metadata): "repertoire"}
    enqueue_many, append_many = TransparencyLog.enqueue_many, TransparencyLog.append_many

    def verifier(log: TransparencyLog, items: Sequence[bytes]) -> None:
        journal = journaux.get(id(log.tables.leaves.metadata))
        if journal is not None:
            for donnees in items:
                valider(journal, donnees)  # type: ignore[arg-type]

    async def en_file(self: TransparencyLog, session: Any, items: Sequence[bytes], **kw: Any) -> None:
        verifier(self, items)
        await enqueue_many(self, session, items, **kw)

    async def ajoutees(self: TransparencyLog, session: Any, items: Sequence[bytes], **kw: Any) -> range:
        verifier(self, items)
        return await append_many(self, session, items, **kw)

    TransparencyLog.enqueue_many = en_file  # type: ignore[method-assign]
    TransparencyLog.append_many = ajoutees  # type: ignore[method-assign]
    try:
        yield
    finally:
        TransparencyLog.enqueue_many, TransparencyLog.append_many = enqueue_many, append_many  # type: ignore[method-assign]
