"""The queue in front of the log: leaves queued by the caller's transaction, integrated after its commit.

Every test runs through `shared.db.Database` (what the services use), on SQLite and PostgreSQL unless
it is about PostgreSQL's concurrency. A business table `faits` stands for the services' rows that
record a leaf's index (`IndexRef`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import Database
from shared.translog import rfc9162, sequencer
from shared.translog.checkpoint import verify_checkpoint
from shared.translog.note import Signer
from shared.translog.store import IndexRef, TranslogTables, TransparencyLog, define_translog_tables

NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)


@dataclass
class Env:
    db: Database
    tables: TranslogTables
    faits: Table
    log: TransparencyLog

    async def fait(self, libelle: str) -> int:
        """One business row and its leaf, in one transaction; returns the row's id."""
        async with self.db.transaction() as session:
            row_id = int(
                await session.scalar(insert(self.faits).values(libelle=libelle).returning(self.faits.c.id))
            )
            ref = IndexRef(self.faits.c.leaf_index, row_id)
            await self.log.enqueue(session, libelle.encode(), now=NOW, refs=[ref])
        return row_id

    async def rows(self) -> list[tuple[int, str, int | None]]:
        async with self.db.transaction() as session:
            f = self.faits
            result = await session.execute(select(f.c.id, f.c.libelle, f.c.leaf_index).order_by(f.c.id))
            return [(r.id, r.libelle, r.leaf_index) for r in result]

    async def pending(self) -> int:
        async with self.db.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(self.tables.pending)) or 0)

    async def size(self) -> int:
        async with self.db.transaction() as session:
            return await self.log.size(session)


async def _env(url: str) -> Env:
    metadata = MetaData()
    tables = define_translog_tables(metadata)
    faits = Table(
        "faits",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("libelle", String(100), nullable=False),
        Column("leaf_index", BigInteger, nullable=True),
    )
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return Env(db, tables, faits, TransparencyLog(tables, references=[faits.c.leaf_index]))


@pytest.fixture
async def env(database_url: str) -> AsyncIterator[Env]:
    e = await _env(database_url)
    try:
        yield e
    finally:
        await e.db.dispose()


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[Env]:
    e = await _env(postgres_url)
    try:
        yield e
    finally:
        await e.db.dispose()


async def test_a_queued_leaf_is_integrated_when_the_transaction_returns(env: Env) -> None:
    first = await env.fait("premier")
    second = await env.fait("second")
    assert await env.pending() == 0
    assert await env.size() == 2
    assert [(i, lib, index) for i, lib, index in await env.rows()] == [
        (first, "premier", 0),
        (second, "second", 1),
    ]
    async with env.db.transaction() as session:
        leaves = await env.log.leaves(session, 0, 10)
    assert [(leaf.index, leaf.data, leaf.created_at) for leaf in leaves] == [
        (0, b"premier", NOW),
        (1, b"second", NOW),
    ]


async def test_a_rolled_back_transaction_leaves_nothing(env: Env) -> None:
    await env.fait("gardé")

    class Refus(Exception):
        pass

    async def refuser() -> None:
        async with env.db.transaction() as session:
            await env.log.enqueue(session, b"refuse", now=NOW)
            raise Refus  # the business rule refused the change the leaf recorded

    with pytest.raises(Refus):
        await refuser()
    assert await env.pending() == 0
    assert await env.size() == 1
    await env.fait("suivant")
    async with env.db.transaction() as session:
        assert [leaf.data for leaf in await env.log.leaves(session, 0, 10)] == ["gardé".encode(), b"suivant"]


async def test_a_leaf_left_queued_by_a_crash_is_recovered(env: Env) -> None:
    # What a caller's commit leaves when its process dies before the integration: a queued row.
    async with env.db.engine.begin() as conn:
        row_id = (
            await conn.execute(insert(env.faits).values(libelle="orphelin").returning(env.faits.c.id))
        ).scalar_one()
        await conn.execute(
            insert(env.tables.pending).values(
                data=b"orphelin", created_at=NOW, refs=[["faits.leaf_index", row_id]]
            )
        )
    assert (await env.pending(), await env.size()) == (1, 0)
    # Start-up recovery integrates it and sets its business column.
    assert await env.log.integrate_pending(env.db.engine) == 1
    assert (await env.pending(), await env.size()) == (0, 1)
    assert [(lib, index) for _, lib, index in await env.rows()] == [("orphelin", 0)]
    assert await env.log.integrate_pending(env.db.engine) == 0


async def test_any_later_integration_takes_a_leftover_first(env: Env) -> None:
    async with env.db.engine.begin() as conn:
        await conn.execute(insert(env.tables.pending).values(data=b"reste", created_at=NOW))
    signer = Signer.generate("signif.example/test")
    async with env.db.transaction() as session:
        # An in-transaction append integrates the queue before its own leaf...
        assert await env.log.append(session, b"apres", now=NOW) == 1
    async with env.db.engine.begin() as conn:
        await conn.execute(insert(env.tables.pending).values(data=b"encore", created_at=NOW))
    async with env.db.transaction() as session:
        # ... and a checkpoint covers every leaf committed before it was signed.
        note = await env.log.sign_checkpoint(session, signer.name, signer, NOW)
        leaves = await env.log.leaves(session, 0, 10)
    assert [leaf.data for leaf in leaves] == [b"reste", b"apres", b"encore"]
    checkpoint = verify_checkpoint(note, [signer.verifier])
    assert checkpoint.size == 3
    assert checkpoint.root_hash == rfc9162.mth([rfc9162.leaf_hash(leaf.data) for leaf in leaves])


async def test_only_the_logs_references_are_accepted(env: Env) -> None:
    autre = Table("autre", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer))
    with pytest.raises(ValueError, match=r"expected one of the log's references \['faits.leaf_index'\]"):
        async with env.db.transaction() as session:
            await env.log.enqueue(session, b"x", now=NOW, refs=[IndexRef(autre.c.n, 1)])
    double = Table(
        "double",
        MetaData(),
        Column("a", Integer, primary_key=True),
        Column("b", Integer, primary_key=True),
    )
    with pytest.raises(ValueError, match="one-column primary key"):
        TransparencyLog(env.tables, references=[double.c.b])


async def test_sqlite_integrates_inside_the_callers_transaction(database_url: str) -> None:
    e = await _env(database_url)
    try:
        async with e.db.transaction() as session:
            await e.log.enqueue(session, b"un", now=NOW)
            inside = await e.log.size(session)
        expected = 1 if e.db.is_sqlite else 0  # PostgreSQL integrates after the commit
        assert inside == expected
        assert await e.size() == 1
    finally:
        await e.db.dispose()


@pytest.mark.postgres
async def test_concurrent_writers_get_consecutive_indexes_and_verifiable_proofs(pg: Env) -> None:
    writers, per_writer = 8, 25

    async def writer(w: int) -> list[int]:
        return [await pg.fait(f"writer {w} fait {i}") for i in range(per_writer)]

    results = await asyncio.gather(*(writer(w) for w in range(writers)))
    assert await pg.pending() == 0
    rows = {row_id: (libelle, index) for row_id, libelle, index in await pg.rows()}
    indexes = sorted(index for _, index in rows.values() if index is not None)
    assert indexes == list(range(writers * per_writer))  # every leaf integrated, consecutive, no gap
    for w, ids in enumerate(results):
        mine = [index for i in ids if (index := rows[i][1]) is not None]
        assert mine == sorted(mine), f"writer {w}'s leaves are not in its commit order"
    signer = Signer.generate("signif.example/test")
    async with pg.db.transaction() as session:
        note = await pg.log.sign_checkpoint(session, signer.name, signer, NOW)
        checkpoint = verify_checkpoint(note, [signer.verifier])
        assert checkpoint.size == writers * per_writer
        for libelle, index in rows.values():
            assert index is not None
            leaf = (await pg.log.leaves(session, index, index + 1))[0]
            assert leaf.data == libelle.encode()  # the business row names its own leaf
            proof = await pg.log.inclusion_proof(session, index, checkpoint.size)
            rfc9162.verify_inclusion(leaf.leaf_hash, index, checkpoint.size, proof, checkpoint.root_hash)


@pytest.mark.postgres
async def test_leaves_committed_while_an_integration_waits_are_integrated_in_queue_order(pg: Env) -> None:
    await pg.fait("avant")
    head = pg.tables.head
    async with pg.db.engine.connect() as blocker:
        # Hold the head row as an integration does: the writers commit, then wait for it.
        await blocker.execute(select(head.c.size).with_for_update())
        writers = [asyncio.create_task(pg.fait(f"fait {i}")) for i in range(12)]
        for _ in range(200):
            await asyncio.sleep(0.01)
            if await pg.pending() == 12:
                break
        assert await pg.pending() == 12  # all committed, none integrated
        assert not any(w.done() for w in writers)  # their transaction blocks wait for the integration
        async with pg.db.transaction() as session:
            pending = pg.tables.pending
            queue = [bytes(d) for d in await session.scalars(select(pending.c.data).order_by(pending.c.id))]
        await blocker.rollback()
    await asyncio.gather(*writers)
    async with pg.db.transaction() as session:
        integrated = [leaf.data for leaf in await pg.log.leaves(session, 0, 20)]
    assert integrated == [b"avant", *queue]  # one integration took all twelve, in queue order
    # Each business row got the index of its own leaf.
    assert {index: libelle.encode() for _, libelle, index in await pg.rows()} == dict(enumerate(integrated))
    assert await pg.pending() == 0


@pytest.mark.postgres
async def test_a_transaction_that_does_not_wait_returns_before_the_integration(pg: Env) -> None:
    await pg.fait("avant")
    head = pg.tables.head
    async with pg.db.engine.connect() as blocker:
        # Hold the head row as an integration does: the integration cannot finish.
        await blocker.execute(select(head.c.size).with_for_update())
        ids = []
        for i in range(5):
            async with asyncio.timeout(5):  # would hang on the blocker if the block waited
                async with pg.db.transaction() as session:
                    row_id = int(
                        await session.scalar(
                            insert(pg.faits).values(libelle=f"sans attente {i}").returning(pg.faits.c.id)
                        )
                    )
                    ref = IndexRef(pg.faits.c.leaf_index, row_id)
                    await pg.log.enqueue(
                        session, f"sans attente {i}".encode(), now=NOW, refs=[ref], wait=False
                    )
            ids.append(row_id)
        assert await pg.pending() == 5  # committed and durable in the queue, not integrated
        assert [index for _, _, index in await pg.rows()] == [0, None, None, None, None, None]
        await blocker.rollback()
    await pg.log.integrated(pg.db.engine)  # the background loop takes them once the head is free
    assert await pg.pending() == 0
    assert await pg.size() == 6
    async with pg.db.transaction() as session:
        integrated = [leaf.data for leaf in await pg.log.leaves(session, 0, 10)]
    assert integrated == [b"avant", *(f"sans attente {i}".encode() for i in range(5))]
    assert {index: libelle.encode() for _, libelle, index in await pg.rows()} == dict(enumerate(integrated))


@pytest.mark.postgres
async def test_concurrent_writers_that_do_not_wait_are_all_integrated_in_their_order(
    postgres_url: str,
) -> None:
    e = await _env(postgres_url)
    log = TransparencyLog(e.tables, references=[e.faits.c.leaf_index], wait_for_integration=False)
    try:

        async def writer(w: int) -> list[bytes]:
            mine = []
            for i in range(30):
                data = f"w{w} n{i}".encode()
                async with e.db.transaction() as session:
                    await log.enqueue(session, data, now=NOW)
                mine.append(data)
            return mine

        written = await asyncio.gather(*(writer(w) for w in range(8)))
        await log.integrated(e.db.engine)
        assert await e.pending() == 0
        async with e.db.transaction() as session:
            leaves = await log.leaves(session, 0, 1000)
            size = await log.size(session)
        assert size == 8 * 30
        assert [leaf.index for leaf in leaves] == list(range(size))
        order = {leaf.data: leaf.index for leaf in leaves}
        for mine in written:
            assert [order[d] for d in mine] == sorted(order[d] for d in mine)  # each writer's commit order
    finally:
        await e.db.dispose()


async def test_sqlite_appends_in_the_transaction_even_without_waiting(database_url: str) -> None:
    e = await _env(database_url)
    try:
        async with e.db.transaction() as session:
            await e.log.enqueue(session, b"un", now=NOW, wait=False)
            inside = await e.log.size(session)
        assert inside == (1 if e.db.is_sqlite else 0)
        await e.log.integrated(e.db.engine)
        assert (await e.size(), await e.pending()) == (1, 0)
    finally:
        await e.db.dispose()


@pytest.mark.postgres
async def test_an_integration_whose_connection_dies_leaves_the_leaf_queued_for_the_next(
    pg: Env, caplog: pytest.LogCaptureFixture
) -> None:
    await pg.fait("avant")
    head = pg.tables.head
    async with pg.db.engine.connect() as blocker:
        await blocker.execute(select(head.c.size).with_for_update())
        writer = asyncio.create_task(pg.fait("perdu de vue"))
        waiting: list[int] = []
        for _ in range(1000):  # the integration, waiting for the head row (up to 10 s on a loaded machine)
            await asyncio.sleep(0.01)
            waiting = list(
                await blocker.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    )
                )
            )
            if waiting:
                break
        assert len(waiting) == 1
        await blocker.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting[0]})
        await blocker.rollback()
    await asyncio.wait_for(writer, 5)  # the failure is logged, the caller is not left waiting
    assert "translog integration after commit failed" in caplog.text
    assert (await pg.pending(), await pg.size()) == (1, 1)  # committed, durable, not integrated
    await pg.fait("suivant")  # the next integration, on a fresh connection, takes both in order
    assert (await pg.pending(), await pg.size()) == (0, 3)
    assert [(lib, index) for _, lib, index in await pg.rows()] == [
        ("avant", 0),
        ("perdu de vue", 1),
        ("suivant", 2),
    ]


@pytest.mark.parametrize("wait", [True, False])
async def test_enqueue_many_queues_leaves_in_order(env: Env, wait: bool) -> None:
    await env.fait("avant")
    async with env.db.transaction() as session:
        await env.log.enqueue_many(session, [b"un", b"deux", b"trois"], now=NOW, wait=wait)
        await env.log.enqueue_many(session, [], now=NOW, wait=wait)  # nothing to queue
    if wait or env.db.is_sqlite:
        assert await env.size() == 4  # integrated when the block returned
    await env.log.integrated(env.db.engine)
    assert (await env.pending(), await env.size()) == (0, 4)
    async with env.db.transaction() as session:
        assert [leaf.data for leaf in await env.log.leaves(session, 0, 10)] == [
            b"avant",
            b"un",
            b"deux",
            b"trois",
        ]


@pytest.mark.parametrize("wait", [True, False])
async def test_enqueue_many_writes_each_leafs_index_into_its_row(env: Env, wait: bool) -> None:
    await env.fait("avant")
    async with env.db.transaction() as session:
        ids = [
            int(await session.scalar(insert(env.faits).values(libelle=lib).returning(env.faits.c.id)))
            for lib in ("un", "deux", "trois")
        ]
        refs = [[IndexRef(env.faits.c.leaf_index, i)] for i in ids]
        await env.log.enqueue_many(session, [b"un", b"deux", b"trois"], now=NOW, refs=refs, wait=wait)
        with pytest.raises(ValueError, match="one refs entry per item"):
            await env.log.enqueue_many(session, [b"x"], now=NOW, refs=[], wait=wait)
    await env.log.integrated(env.db.engine)
    assert [(lib, index) for _, lib, index in await env.rows()] == [
        ("avant", 0),
        ("un", 1),
        ("deux", 2),
        ("trois", 3),
    ]


@pytest.mark.postgres
async def test_a_commit_made_while_the_loop_gives_its_connection_back_is_integrated(
    pg: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_close = sequencer._close
    closing, proceed = asyncio.Event(), asyncio.Event()

    async def slow_close(connection: AsyncConnection | None) -> None:
        if connection is not None and not closing.is_set():
            closing.set()
            await proceed.wait()
        await real_close(connection)

    monkeypatch.setattr(sequencer, "_close", slow_close)
    await asyncio.wait_for(pg.fait("premier"), 5)  # integrated before the loop gives its connection back
    await asyncio.wait_for(closing.wait(), 5)
    second = asyncio.create_task(pg.fait("pendant la fermeture"))
    for _ in range(200):  # committed and requested while the loop is still running (closing)
        await asyncio.sleep(0.01)
        if await pg.pending() == 1:
            break
    assert await pg.pending() == 1
    proceed.set()
    await asyncio.wait_for(second, 5)  # the loop takes the request made while it was closing
    assert [(lib, index) for _, lib, index in await pg.rows()] == [
        ("premier", 0),
        ("pendant la fermeture", 1),
    ]


@pytest.mark.postgres
async def test_the_integration_plans_its_statements_for_the_tables_as_they_are(pg: Env) -> None:
    # asyncpg keeps each statement prepared on the connection the integrations keep; PostgreSQL would
    # switch to a generic plan after five executions and keep it while the tables grow (a generic plan
    # made while the business table was small joined it by a sequential scan: 5 ms per integration
    # after 15,000 consultations in bench/purge's control run). Every integration plans afresh.
    async with pg.db.engine.connect() as conn:
        for k in range(8):
            async with pg.db.engine.begin() as write:
                row_id = (
                    await write.execute(insert(pg.faits).values(libelle=f"f{k}").returning(pg.faits.c.id))
                ).scalar_one()
                await write.execute(
                    insert(pg.tables.pending).values(
                        data=f"f{k}".encode(), created_at=NOW, refs=[["faits.leaf_index", row_id]]
                    )
                )
            assert await pg.log.integrate_pending(pg.db.engine, connection=conn) == 1
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        plans = await raw.fetch(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE 'WITH taken AS%' OR statement LIKE 'WITH new_leaves AS%'"
        )
    assert {p["statement"].split(" AS", 1)[0]: (p["generic_plans"], p["custom_plans"]) for p in plans} == {
        "WITH taken": (0, 8),  # the queue taken with the head's values
        "WITH new_leaves": (0, 8),  # leaves, nodes, the business rows' indexes and the head
    }
    assert [index for _, _, index in await pg.rows()] == list(range(8))
