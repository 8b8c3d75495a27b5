"""The SQL-backed log on SQLite and PostgreSQL: roots, proofs, checkpoints, transactions, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select

from shared.translog import rfc9162
from shared.translog.checkpoint import verify_checkpoint
from shared.translog.note import Signer
from shared.translog.rfc9162 import ProofError, verify_consistency, verify_inclusion
from shared.translog.store import node_id
from tests.shared.translog.conftest import LogDatabase, load_vectors

TREE = load_vectors("transparency-dev-merkle/tree.json")
NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
N = 70
DATA = [f"leaf {i}: {'x' * (i % 7)}".encode() for i in range(N)]
HASHES = [rfc9162.leaf_hash(d) for d in DATA]
ROOTS = [rfc9162.mth(HASHES[:n]) for n in range(N + 1)]
SIZES = [*range(1, 18), 31, 32, 33, 63, 64, 65, N]


async def _fill(db: LogDatabase, items: list[bytes]) -> None:
    # Half one leaf per transaction, half in a batch: both paths write the same tree.
    half = len(items) // 2
    for data in items[:half]:
        async with db.sessions.begin() as session:
            await db.log.append(session, data, now=NOW)
    async with db.sessions.begin() as session:
        await db.log.append_many(session, items[half:], now=NOW)


async def test_vector_tree_roots_and_nodes(logdb: LogDatabase) -> None:
    async with logdb.sessions.begin() as session:
        assert await logdb.log.size(session) == 0
        assert (await logdb.log.root(session, 0)).hex() == TREE["root_hashes_by_size"][0]
    for i, data in enumerate(TREE["leaf_inputs"]):
        async with logdb.sessions.begin() as session:
            assert await logdb.log.append(session, bytes.fromhex(data), now=NOW) == i
    async with logdb.sessions.begin() as session:
        assert await logdb.log.size(session) == 8
        for size in range(9):
            assert (await logdb.log.root(session, size)).hex() == TREE["root_hashes_by_size"][size]
        nodes = logdb.tables.nodes
        rows = (await session.execute(select(nodes.c.node_id, nodes.c.hash))).all()
        leaves = await logdb.log.leaves(session, 0, 100)
    want = TREE["node_hashes_by_level"]
    assert [leaf.leaf_hash.hex() for leaf in leaves] == want[0]
    assert [leaf.data.hex() for leaf in leaves] == TREE["leaf_inputs"]
    assert {r.node_id: r.hash.hex() for r in rows} == {
        node_id(level, i): h for level in range(1, 4) for i, h in enumerate(want[level])
    }
    assert sorted(r.node_id for r in rows) == [1, 3, 5, 7, 9, 11, 13]  # in-order positions of the interior
    assert {leaf.created_at for leaf in leaves} == {NOW}


async def test_store_proofs_verify(logdb: LogDatabase) -> None:
    await _fill(logdb, DATA)
    async with logdb.sessions.begin() as session:
        assert await logdb.log.size(session) == N
        assert [leaf.index for leaf in await logdb.log.leaves(session, 5, 9)] == [5, 6, 7, 8]
        for size in SIZES:
            root = await logdb.log.root(session, size)
            assert root == ROOTS[size]
            for index in range(size):
                proof = await logdb.log.inclusion_proof(session, index, size)
                verify_inclusion(HASHES[index], index, size, proof, root)
            for old in range(1, size + 1):
                proof = await logdb.log.consistency_proof(session, old, size)
                verify_consistency(old, size, proof, ROOTS[old], root)


async def test_a_proof_reads_only_its_nodes_in_one_query(logdb: LogDatabase) -> None:
    await _fill(logdb, DATA)
    index, size = 37, 69
    async with logdb.sessions.begin() as session:
        want = await logdb.log.inclusion_proof(session, index, size)
        needed = [*rfc9162.inclusion_nodes(index, size), rfc9162.root_nodes(size)[-1]]
        leaves, nodes = logdb.tables.leaves, logdb.tables.nodes
        await session.execute(
            delete(leaves).where(leaves.c.leaf_index.not_in([i for level, i in needed if level == 0]))
        )
        await session.execute(
            delete(nodes).where(nodes.c.node_id.not_in([node_id(*n) for n in needed if n[0]]))
        )
        remaining = (await session.execute(select(func.count()).select_from(nodes))).scalar_one()
        kept = remaining + len(await logdb.log.leaves(session, 0, N))
        assert kept == len(set(needed)) <= 2 * size.bit_length()

        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        event.listen(logdb.engine.sync_engine, "before_cursor_execute", record)
        try:
            assert await logdb.log.inclusion_proof(session, index, size) == want
        finally:
            event.remove(logdb.engine.sync_engine, "before_cursor_execute", record)
        assert len(statements) == 1
        await session.rollback()


async def test_several_leaves_and_their_proofs_in_one_query_each(logdb: LogDatabase) -> None:
    await _fill(logdb, DATA)
    indexes, size = [41, 3, 68, 3, 17], 69
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async with logdb.sessions.begin() as session:
        event.listen(logdb.engine.sync_engine, "before_cursor_execute", record)
        try:
            leaves = await logdb.log.leaves_at(session, indexes)
            proofs = await logdb.log.inclusion_proofs(session, indexes, size)
        finally:
            event.remove(logdb.engine.sync_engine, "before_cursor_execute", record)
        assert len([s for s in statements if not s.startswith("BEGIN")]) == 2
        assert [(leaf.index, leaf.data) for leaf in leaves] == [(i, DATA[i]) for i in (3, 17, 41, 68)]
        assert sorted(proofs) == [3, 17, 41, 68]
        for index, proof in proofs.items():
            assert proof == await logdb.log.inclusion_proof(session, index, size)
            verify_inclusion(HASHES[index], index, size, proof, ROOTS[size])
        with pytest.raises(ProofError, match=r"the log has none at \[70\]"):
            await logdb.log.leaves_at(session, [5, 70])
        assert await logdb.log.leaves_at(session, []) == []


async def test_impossible_requests(logdb: LogDatabase) -> None:
    await _fill(logdb, DATA[:10])
    async with logdb.sessions.begin() as session:
        with pytest.raises(ProofError, match=r"expected a leaf index in \[0, 10\), got 10"):
            await logdb.log.inclusion_proof(session, 10, 10)
        with pytest.raises(ProofError, match=r"expected a tree size <= 10 .*, got 11"):
            await logdb.log.inclusion_proof(session, 3, 11)
        with pytest.raises(ProofError, match=r"expected a tree size <= 10 .*, got 12"):
            await logdb.log.root(session, 12)
        with pytest.raises(ProofError, match=r"expected a tree size <= 10 .*, got 16"):
            await logdb.log.consistency_proof(session, 16, 16)
        with pytest.raises(ProofError, match="expected an old size > 0"):
            await logdb.log.consistency_proof(session, 0, 5)
        with pytest.raises(ProofError, match="expected 0 < old size <= new size"):
            await logdb.log.consistency_proof(session, 6, 5)
        with pytest.raises(ProofError, match="expected 0 <= start <= end"):
            await logdb.log.leaves(session, 5, 4)
        assert await logdb.log.consistency_proof(session, 10, 10) == []
        with pytest.raises(ValueError, match="naive"):
            await logdb.log.append(session, b"x", now=datetime(2026, 1, 1))  # noqa: DTZ001


async def test_a_rolled_back_append_frees_its_index(logdb: LogDatabase) -> None:
    await _fill(logdb, DATA[:3])
    async with logdb.sessions() as session:
        await session.begin()
        assert await logdb.log.append(session, b"refused", now=NOW) == 3
        assert await logdb.log.size(session) == 4
        await session.rollback()  # the business rule refused the change the leaf recorded
    async with logdb.sessions.begin() as session:
        assert await logdb.log.size(session) == 3
        assert await logdb.log.append(session, DATA[3], now=NOW) == 3
        assert await logdb.log.root(session, 4) == ROOTS[4]


async def test_checkpoints(logdb: LogDatabase) -> None:
    signer = Signer.generate("signif.example/repertoire")
    paris = timezone(timedelta(hours=1))
    async with logdb.sessions.begin() as session:
        assert await logdb.log.latest_checkpoint(session) is None
        empty = await logdb.log.sign_checkpoint(session, signer.name, signer, NOW)
    assert verify_checkpoint(empty, [signer.verifier]).root_hash == rfc9162.EMPTY_ROOT
    await _fill(logdb, DATA[:5])
    async with logdb.sessions.begin() as session:
        # A leaf and the checkpoint that covers it, in one transaction.
        assert await logdb.log.append(session, DATA[5], now=NOW) == 5
        note = await logdb.log.sign_checkpoint(session, signer.name, signer, NOW.astimezone(paris))
    checkpoint = verify_checkpoint(note, [signer.verifier])
    assert (checkpoint.size, checkpoint.root_hash) == (6, ROOTS[6])
    async with logdb.sessions.begin() as session:
        latest = await logdb.log.latest_checkpoint(session)
    assert latest is not None
    assert (latest.size, latest.root_hash, latest.note, latest.created_at) == (6, ROOTS[6], note, NOW)
    assert latest.created_at.tzinfo is not None


async def test_concurrent_appends_get_consecutive_indexes(logdb: LogDatabase) -> None:
    writers, per_writer = 8, 5

    async def writer(w: int) -> list[int]:
        indexes = []
        for i in range(per_writer):
            async with logdb.sessions.begin() as session:
                indexes.append(await logdb.log.append(session, f"writer {w} leaf {i}".encode(), now=NOW))
        return indexes

    results = await asyncio.gather(*(writer(w) for w in range(writers)))
    indexes = sorted(i for result in results for i in result)
    assert indexes == list(range(writers * per_writer))
    async with logdb.sessions.begin() as session:
        leaves = await logdb.log.leaves(session, 0, writers * per_writer)
        assert await logdb.log.size(session) == writers * per_writer
        root = await logdb.log.root(session, writers * per_writer)
    assert [leaf.index for leaf in leaves] == indexes
    written = {f"writer {w} leaf {i}".encode() for w in range(writers) for i in range(per_writer)}
    assert {leaf.data for leaf in leaves} == written
    assert root == rfc9162.mth([leaf.leaf_hash for leaf in leaves])
    for w, result in enumerate(results):
        assert result == sorted(result), f"writer {w} saw its own leaves out of order"
