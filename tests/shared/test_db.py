"""SQLite writers of one process take turns on the engine's asyncio lock (never meeting SQLite's
busy handler), and every way out of a transaction hands the turn on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, event, insert, select
from sqlalchemy.exc import OperationalError

from shared.db import _WRITER_TURNS, Database, urgent_writes
from shared.testing.databases import sqlite_url

METADATA = MetaData()
LIGNES = Table("lignes", METADATA, Column("id", Integer, primary_key=True), Column("n", Integer))


async def _base(tmp_path: Path) -> Database:
    db = Database(sqlite_url(tmp_path, "verrou"))
    async with db.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    return db


async def test_the_turn_is_handed_on_after_commit_rollback_and_error(tmp_path: Path) -> None:
    db = await _base(tmp_path)
    tour = _WRITER_TURNS[db.engine.sync_engine]
    async with db.transaction() as session:
        await session.execute(insert(LIGNES).values(n=1))
        assert tour.taken
    assert not tour.taken

    async def echoue() -> None:
        async with db.transaction() as session:
            await session.execute(insert(LIGNES).values(n=2))
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        await echoue()
    assert not tour.taken
    async with db.sessionmaker() as session:
        await session.execute(select(LIGNES))
        await session.rollback()
    assert not tour.taken
    async with db.transaction() as session:
        assert (await session.scalars(select(LIGNES.c.n))).all() == [1]
    await db.dispose()


def _sans_attente(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")  # SQLite's own waiting off: a conflict fails at once
    cursor.close()


async def test_writers_take_turns_without_sqlite_busy_waits(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path, "verrou"))
    event.listen(db.engine.sync_engine, "connect", _sans_attente)
    async with db.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    ordre: list[int] = []

    async def ecrire(n: int) -> None:
        async with db.transaction() as session:
            await session.execute(insert(LIGNES).values(n=n))
            ordre.append(n)
            for _ in range(5):  # hold the turn while the others arrive
                await asyncio.sleep(0)
            assert ordre[-1] == n, "another writer ran inside this transaction"

    taches = []
    for n in range(12):
        taches.append(asyncio.create_task(ecrire(n)))
        await asyncio.sleep(0)
    await asyncio.gather(*taches)  # none met "database is locked"
    assert sorted(ordre) == list(range(12))
    async with db.transaction() as session:
        assert sorted((await session.scalars(select(LIGNES.c.n))).all()) == list(range(12))
    await db.dispose()


async def _attendre(condition: Callable[[], bool]) -> None:
    """Poll `condition` for up to 20 s."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never met")


async def test_urgent_writers_go_before_the_others_waiting(tmp_path: Path) -> None:
    db = await _base(tmp_path)
    ordre: list[str] = []
    tenu = asyncio.Event()
    lache = asyncio.Event()

    async def ecrire(nom: str, *, urgent: bool = False) -> None:
        if urgent:
            with urgent_writes():
                await ecrire(nom)
            return
        async with db.transaction() as session:
            await session.execute(insert(LIGNES).values(n=len(ordre)))
            ordre.append(nom)
            if nom == "premier":
                tenu.set()
                await lache.wait()

    premier = asyncio.create_task(ecrire("premier"))
    await tenu.wait()
    tour = _WRITER_TURNS[db.engine.sync_engine]
    autres = [asyncio.create_task(ecrire("requete-1")), asyncio.create_task(ecrire("requete-2"))]
    await _attendre(lambda: tour.waiting == (0, 2))
    urgente = asyncio.create_task(ecrire("job", urgent=True))
    await _attendre(lambda: tour.waiting == (1, 2))
    lache.set()
    await asyncio.gather(premier, urgente, *autres)
    assert ordre[:2] == ["premier", "job"]
    assert sorted(ordre[2:]) == ["requete-1", "requete-2"]
    await db.dispose()


async def test_reads_neither_wait_for_a_writer_nor_see_its_uncommitted_rows(tmp_path: Path) -> None:
    db = await _base(tmp_path)
    async with db.transaction() as session:
        await session.execute(insert(LIGNES).values(n=1))
    tour = _WRITER_TURNS[db.engine.sync_engine]
    ecriture_ouverte, fin_de_lecture = asyncio.Event(), asyncio.Event()

    async def ecrivain() -> None:
        async with db.transaction() as session:
            await session.execute(insert(LIGNES).values(n=2))
            ecriture_ouverte.set()
            await fin_de_lecture.wait()  # holds the turn and SQLite's write lock meanwhile

    tache = asyncio.create_task(ecrivain())
    await ecriture_ouverte.wait()
    assert tour.taken
    async with asyncio.timeout(5), db.read() as session:
        assert (await session.scalars(select(LIGNES.c.n))).all() == [1]
    fin_de_lecture.set()
    await tache
    async with db.read() as session:
        assert sorted((await session.scalars(select(LIGNES.c.n))).all()) == [1, 2]
    await db.dispose()


async def test_a_write_inside_read_fails_and_the_connection_writes_again_after(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path, "verrou"), pool_size=1, max_overflow=0)
    async with db.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)

    with pytest.raises(OperationalError, match="readonly database"):
        async with db.read() as session:
            await session.execute(insert(LIGNES).values(n=1))
    async with db.transaction() as session:  # the same pooled connection, writable again
        await session.execute(insert(LIGNES).values(n=2))
    async with db.read() as session:
        assert (await session.scalars(select(LIGNES.c.n))).all() == [2]
    await db.dispose()
