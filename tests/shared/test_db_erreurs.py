"""One error channel: a `ServiceError` whose class `commits` (a wrong code that counts an attempt) is
raised like any other, and `Database.transaction` commits the work before letting it through; every
other error rolls back."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from shared.db import Database
from shared.errors import ServiceError, Unprocessable

METADATA = MetaData()
TENTATIVES = Table("tentatives", METADATA, Column("id", Integer, primary_key=True), Column("n", Integer))


class _CodeFaux(Unprocessable):
    code = "code-faux"
    commits = True


async def _base(url: str) -> Database:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    return db


async def _tenter(db: Database, n: int, erreur: Exception) -> None:
    async with db.transaction() as session:
        await session.execute(insert(TENTATIVES).values(n=n))
        raise erreur


async def test_an_error_that_commits_keeps_the_attempt_and_is_raised(database_url: str) -> None:
    db = await _base(database_url)
    try:
        with pytest.raises(_CodeFaux) as leve:
            await _tenter(db, 1, _CodeFaux("code faux"))
        assert leve.value.detail == "code faux"
        with pytest.raises(Unprocessable):
            await _tenter(db, 2, Unprocessable("refusé"))  # does not commit: rolled back
        with pytest.raises(RuntimeError):
            await _tenter(db, 3, RuntimeError("panne"))
        async with db.read() as session:
            assert (await session.scalars(select(TENTATIVES.c.n))).all() == [1]
    finally:
        await db.dispose()


def test_only_the_errors_that_say_so_commit() -> None:
    assert not ServiceError.commits
    assert not Unprocessable("x").commits
    assert _CodeFaux().commits
