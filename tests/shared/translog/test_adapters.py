"""The fast adapters store exactly what the reference stores: random histories, both engines.

Hypothesis draws a history — leaves queued (`enqueue_many`, with business refs), appended in the
caller's transaction (`append_many`), queued by a process that then died before integrating
(written to the queue and committed, no integration), integrations of what is pending, signed
checkpoints — and runs it through two logs on the same database: one with its adapters
(`TransparencyLog()`: asyncpg on PostgreSQL, the append-at-enqueue shortcut on SQLite) and one
reference (`TransparencyLog(adapters=False)`). Both must end with identical leaves, roots at every
size, inclusion and consistency proofs, checkpoints and business refs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, insert, select

from shared.db import Database
from shared.translog import rfc9162
from shared.translog.note import Signer
from shared.translog.store import IndexRef, TranslogTables, TransparencyLog, define_translog_tables

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SIGNER = Signer("signif.example/proprietes", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))

Op = tuple[str, int]
OPS = st.one_of(
    st.tuples(st.just("enqueue"), st.integers(1, 5)),
    st.tuples(st.just("append"), st.integers(1, 5)),
    st.tuples(st.just("crash"), st.integers(1, 4)),
    st.tuples(st.just("integrate"), st.just(0)),
    st.tuples(st.just("checkpoint"), st.just(0)),
)
HISTORIES = st.lists(OPS, min_size=1, max_size=12)
_counter = itertools.count()


@dataclass
class Side:
    log: TransparencyLog
    tables: TranslogTables
    faits: Table


def _side(metadata: MetaData, prefix: str, *, adapters: bool) -> Side:
    tables = define_translog_tables(metadata, prefix)
    faits = Table(
        f"{prefix}_faits",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("leaf_index", BigInteger, nullable=True),
    )
    return Side(TransparencyLog(tables, references=[faits.c.leaf_index], adapters=adapters), tables, faits)


async def _run(db: Database, side: Side, history: list[Op]) -> None:
    key = 0
    for step, (op, count) in enumerate(history):
        now = T0 + timedelta(seconds=step)
        data = [f"{step}:{j}".encode() for j in range(count)]
        if op == "enqueue":
            ids = list(range(key, key + count))
            key += count
            async with db.transaction() as session:
                await session.execute(insert(side.faits), [{"id": i} for i in ids])
                refs = [[IndexRef(side.faits.c.leaf_index, i)] for i in ids]
                await side.log.enqueue_many(session, data, now=now, refs=refs)
        elif op == "append":
            async with db.transaction() as session:
                await side.log.append_many(session, data, now=now)
        elif op == "crash":  # committed to the queue by a process that died before integrating
            async with db.transaction() as session:
                await session.execute(
                    insert(side.tables.pending), [{"data": d, "created_at": now} for d in data]
                )
        elif op == "integrate":
            await side.log.integrate_pending(db.engine)
        else:
            async with db.transaction() as session:
                await side.log.sign_checkpoint(session, SIGNER.name, SIGNER, now)
    await side.log.integrate_pending(db.engine)


async def _state(db: Database, side: Side) -> dict[str, object]:
    async with db.transaction() as session:
        log = side.log
        size = await log.size(session)
        leaves = [
            (x.index, x.data, x.leaf_hash, x.created_at) for x in await log.leaves(session, 0, size + 1)
        ]
        roots = [await log.root(session, n) for n in range(size + 1)]
        inclusions = [await log.inclusion_proof(session, i, n) for n in range(1, size + 1) for i in range(n)]
        consistencies = [
            await log.consistency_proof(session, m, n) for n in range(1, size + 1) for m in range(1, n + 1)
        ]
        checkpoint = await log.latest_checkpoint(session)
        refs = (await session.execute(select(side.faits.c.id, side.faits.c.leaf_index).order_by("id"))).all()
    for index, data, leaf_hash, _ in leaves:
        assert leaf_hash == rfc9162.leaf_hash(data), index
    return {
        "size": size,
        "leaves": leaves,
        "roots": roots,
        "inclusions": inclusions,
        "consistencies": consistencies,
        "checkpoint": checkpoint and (checkpoint.size, checkpoint.root_hash, checkpoint.note),
        "refs": [tuple(r) for r in refs],
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=HISTORIES)
async def test_adapters_store_what_the_reference_stores(database_url: str, history: list[Op]) -> None:
    metadata = MetaData()
    n = next(_counter)
    fast = _side(metadata, f"a{n}", adapters=True)
    reference = _side(metadata, f"r{n}", adapters=False)
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        await _run(db, fast, history)
        await _run(db, reference, history)
        expected = await _state(db, reference)
        assert await _state(db, fast) == expected
        assert expected["size"] == sum(count for op, count in history if op in {"enqueue", "append", "crash"})
        assert all(index is not None for _, index in expected["refs"])  # type: ignore[attr-defined]
    finally:
        await db.dispose()
