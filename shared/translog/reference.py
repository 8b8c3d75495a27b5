"""The reference store: every read and write of the log in plain SQLAlchemy, on any engine.

This is the implementation to read when checking what the log does. The adapters
(`shared.translog.adapters`) replace two of its writes by faster ones on PostgreSQL — the batch's rows
in one statement, and the post-commit integration on the asyncpg driver — and must store exactly what
this one stores: `tests/shared/translog/test_adapters.py` drives the same random sequences through
both and compares leaves, roots, proofs and checkpoints.

Integration (`integrate_queue`, the head row locked by the caller): read the queue in id order, write
the leaves with consecutive indexes from the head's size and the nodes they close, delete exactly those
queue rows, update the head and set the `refs` columns, in the caller's transaction. Integrators queue
on the head row lock and each sees what its predecessor committed (READ COMMITTED: PostgreSQL sessions
must not run at REPEATABLE READ), so indexes are consecutive with no gaps.

Reads of a root or a proof fetch only the O(log n) complete subtrees they need, in one query (see
`rfc9162.inclusion_nodes`), plus one node ending exactly at the requested size, whose presence proves
the log has reached that size.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    LargeBinary,
    Table,
    bindparam,
    delete,
    insert,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.translog import compact, rfc9162
from shared.translog.batch import Batch, Entry, build
from shared.translog.rfc9162 import NodeId, ProofError
from shared.translog.tables import (
    HEAD_ID,
    Leaf,
    StoredCheckpoint,
    TranslogTables,
    as_utc,
    create_head,
    node_id,
)

#: How a batch is written (the head row locked by the caller): `ReferenceStore.store` or an adapter's.
Store = Callable[[AsyncSession, Batch], Awaitable[None]]

#: Queue rows per integration statement batch (keeps `IN` lists far below driver limits).
BATCH = 1000


@dataclass(frozen=True)
class Reference:
    """A business column that receives leaf indexes: its table and the table's one-column key."""

    table: Table
    key: Column[Any]
    column: Column[Any]


def lookup(hashes: dict[int, bytes]) -> rfc9162.NodeHash:
    return lambda level, index: hashes[node_id(level, index)]


class ReferenceStore:
    """The log's statements over `tables` (built once) and the SQLAlchemy code that runs them."""

    def __init__(self, tables: TranslogTables, references: Mapping[str, Reference], name: str) -> None:
        self.tables = tables
        self.references = references
        self.name = name
        head, pending = tables.head, tables.pending
        self.enqueue = insert(pending)
        self.read_head = select(head.c.size, head.c.frontier).where(head.c.id == HEAD_ID)
        self.read_head_for_update = self.read_head.with_for_update()
        # Read and delete the queue's first `take` rows in one statement (RETURNING has no order).
        first = select(pending.c.id).order_by(pending.c.id).limit(bindparam("take")).scalar_subquery()
        self.take = (
            delete(pending)
            .where(pending.c.id.in_(first))
            .returning(pending.c.id, pending.c.data, pending.c.created_at, pending.c.refs)
        )
        # The same, with the head's values as one more row (size and frontier, the rest null).
        h = self.read_head.cte("h")
        taken = self.take.cte("taken")
        self.take_with_head = union_all(
            select(
                null().cast(BigInteger).label("size"),
                null().cast(LargeBinary).label("frontier"),
                taken.c.id,
                taken.c.data,
                taken.c.created_at,
                taken.c.refs,
            ),
            select(h.c.size, h.c.frontier, null(), null(), null(), null()),
        )
        leaves, nodes = tables.leaves, tables.nodes
        # One statement of fixed shape (compiled once): level-0 hashes come from the leaves table.
        self.fetch_nodes = union_all(
            select((leaves.c.leaf_index * 2).label("node_id"), leaves.c.leaf_hash).where(
                leaves.c.leaf_index.in_(bindparam("leaf_indexes", expanding=True))
            ),
            select(nodes.c.node_id, nodes.c.hash).where(
                nodes.c.node_id.in_(bindparam("node_ids", expanding=True))
            ),
        )

    def batch(self, size: int, frontier: list[bytes], entries: list[Entry]) -> Batch:
        return build(size, frontier, entries, references=self.references, log=self.name)

    # --- writes (the head row locked by the caller) -------------------------------------------------

    async def head(self, session: AsyncSession, *, lock: bool) -> tuple[int, list[bytes]]:
        """The tree size and frontier; with `lock`, the head row locked (and created if missing)."""
        stmt = self.read_head_for_update if lock else self.read_head
        row = (await session.execute(stmt)).one_or_none()
        if row is None and lock:
            await create_head(session, self.tables)
            row = (await session.execute(stmt)).one()
        if row is None:
            return 0, []
        return row.size, compact.unpack(row.frontier, row.size)

    async def store(self, session: AsyncSession, batch: Batch) -> None:
        """Write the batch's leaves, nodes and refs and the new head.

        Refs are written sorted by column then key, so concurrent writers would lock rows alike.
        """
        await session.execute(insert(self.tables.leaves), batch.leaves)
        if batch.nodes:
            await session.execute(insert(self.tables.nodes), batch.nodes)
        head = self.tables.head
        await session.execute(
            update(head).where(head.c.id == HEAD_ID).values(size=batch.size, frontier=batch.frontier)
        )
        for name in sorted(batch.refs):
            reference = self.references[name]
            await session.execute(
                update(reference.table)
                .where(reference.key == bindparam("ref_key"))
                .values({reference.column: bindparam("ref_index")}),
                [{"ref_key": k, "ref_index": i} for k, i in sorted(batch.refs[name])],
            )

    async def integrate_queue(
        self, session: AsyncSession, size: int, frontier: list[bytes], limit: int | None, store: Store
    ) -> tuple[dict[int, int], int]:
        """Move queued rows (at most `limit`) into the tree after `size` with `store`; returns
        {queue id: index} and the new size."""
        integrated: dict[int, int] = {}
        while limit is None or len(integrated) < limit:
            take = BATCH if limit is None else min(BATCH, limit - len(integrated))
            taken = await session.execute(self.take, {"take": take})
            rows = sorted(taken.all(), key=lambda row: int(row.id))
            if not rows:
                break
            batch = self.batch(size, frontier, [(r.data, as_utc(r.created_at), r.refs) for r in rows])
            await store(session, batch)
            integrated.update(zip([row.id for row in rows], range(size, batch.size), strict=True))
            size = batch.size
            if len(rows) < take:
                break
        return integrated, size

    async def integrate_batch(self, engine: AsyncEngine, limit: int, store: Store) -> int:
        """Integrate at most `limit` queued leaves in a transaction of its own; returns how many."""
        async with AsyncSession(engine) as session, session.begin():
            size, frontier = await self.head(session, lock=True)
            integrated, _ = await self.integrate_queue(session, size, frontier, limit, store)
            return len(integrated)

    async def insert_checkpoint(
        self, session: AsyncSession, size: int, root_hash: bytes, note: str, created_at: datetime
    ) -> None:
        await session.execute(
            insert(self.tables.checkpoints).values(
                size=size, root_hash=root_hash, note=note, created_at=created_at
            )
        )

    # --- reads --------------------------------------------------------------------------------------

    async def fetch(self, session: AsyncSession, needed: Iterable[NodeId], size: int) -> dict[int, bytes]:
        """Fetch complete subtree hashes in one query, checking the log has reached `size` leaves.

        The smallest complete subtree of the root at `size` ends exactly at leaf `size`: it exists
        if and only if the log is at least that large, so it is fetched along.
        """
        edge = node_id(*rfc9162.root_nodes(size)[-1])
        wanted = {node_id(level, index) for level, index in needed} | {edge}
        params = {
            "leaf_indexes": [n // 2 for n in wanted if n % 2 == 0],
            "node_ids": [n for n in wanted if n % 2],
        }
        rows = await session.execute(self.fetch_nodes, params)
        found = {int(row[0]): bytes(row[1]) for row in rows}
        if edge not in found:
            current = (await self.head(session, lock=False))[0]
            raise ProofError(f"expected a tree size <= {current} (the log's size), got {size}")
        if len(found) != len(wanted):
            missing = sorted(wanted - found.keys())
            raise RuntimeError(f"translog store is missing node ids {missing[:5]} below size {size}")
        return found

    async def leaves(self, session: AsyncSession, start: int, end: int) -> list[Leaf]:
        t = self.tables.leaves
        rows = await session.execute(
            select(t.c.leaf_index, t.c.data, t.c.leaf_hash, t.c.created_at)
            .where(t.c.leaf_index >= start, t.c.leaf_index < end)
            .order_by(t.c.leaf_index)
        )
        return [Leaf(i, data, h, as_utc(at)) for i, data, h, at in rows]

    async def leaves_at(self, session: AsyncSession, indexes: list[int]) -> list[Leaf]:
        t = self.tables.leaves
        rows = await session.execute(
            select(t.c.leaf_index, t.c.data, t.c.leaf_hash, t.c.created_at)
            .where(t.c.leaf_index.in_(indexes))
            .order_by(t.c.leaf_index)
        )
        return [Leaf(i, data, h, as_utc(at)) for i, data, h, at in rows]

    async def latest_checkpoint(self, session: AsyncSession) -> StoredCheckpoint | None:
        t = self.tables.checkpoints
        row = (
            await session.execute(
                select(t.c.size, t.c.root_hash, t.c.note, t.c.created_at)
                .order_by(t.c.size.desc(), t.c.id.desc())
                .limit(1)
            )
        ).one_or_none()
        if row is None:
            return None
        return StoredCheckpoint(row.size, row.root_hash, row.note, as_utc(row.created_at))

    async def has_pending(self, session: AsyncSession) -> bool:
        pending = self.tables.pending
        return (await session.execute(select(pending.c.id).limit(1))).first() is not None
