"""An RFC 9162 log kept in SQL tables, written inside the caller's transaction.

Tables (`define_translog_tables`, prefix `journal` by default):

- `<prefix>_leaves`: leaf index (PK), leaf hash, leaf data, created_at. Never updated or deleted.
- `<prefix>_nodes`: hash of every complete subtree of level >= 1, written by the append that closes it
  (level 0 is the leaf hash), keyed by its in-order position `node_id = (2 * index + 1) * 2**level - 1`
  (leaf i is position 2i, so interior nodes are the odd numbers). One integer key keeps "these 40
  nodes" a plain `IN` list that every engine answers from the primary key. Immutable once written.
- `<prefix>_head`: one row (id 1): the tree size and its frontier (`compact.py`), so an append reads
  one row and a root at the current size reads nothing else.
- `<prefix>_checkpoints`: every signed checkpoint: size, root hash, note text, created_at.

Reads of a root or a proof fetch only the O(log n) complete subtrees it needs, in one query (see
`rfc9162.inclusion_nodes`), plus one node ending exactly at the requested size, whose presence proves
the log has reached that size.

Concurrency: `TransparencyLog` never commits; the caller's transaction makes a leaf and the state
change it records atomic. Appends are serialised on the head row: `SELECT ... FOR UPDATE` on
PostgreSQL (concurrent appenders queue, and each sees the size its predecessor committed, so indexes
are consecutive with no gaps); on SQLite the caller's transaction is `BEGIN IMMEDIATE`, so writers
are already serialised. A rolled-back transaction takes its leaf with it and frees the index.
The head row stays locked until the caller commits, so append as late in the transaction as the
rules allow. PostgreSQL sessions must run at READ COMMITTED (the default): at REPEATABLE READ a
queued appender fails with a serialisation error instead of seeing its predecessor's leaf.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    bindparam,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shared.translog import compact, rfc9162
from shared.translog.checkpoint import Checkpoint, sign_checkpoint
from shared.translog.note import Signer
from shared.translog.rfc9162 import NodeId, ProofError

_HEAD_ID = 1


@dataclass(frozen=True)
class TranslogTables:
    leaves: Table
    nodes: Table
    head: Table
    checkpoints: Table


def define_translog_tables(metadata: MetaData, prefix: str = "journal") -> TranslogTables:
    """Declare the log's four tables on `metadata` (create them with Alembic or `create_all`)."""
    leaves = Table(
        f"{prefix}_leaves",
        metadata,
        Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
        Column("leaf_hash", LargeBinary(32), nullable=False),
        Column("data", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    nodes = Table(
        f"{prefix}_nodes",
        metadata,
        Column("node_id", BigInteger, primary_key=True, autoincrement=False),
        Column("hash", LargeBinary(32), nullable=False),
        CheckConstraint("node_id % 2 = 1", name=f"{prefix}_nodes_interior_only"),
    )
    head = Table(
        f"{prefix}_head",
        metadata,
        Column("id", SmallInteger, primary_key=True, autoincrement=False),
        Column("size", BigInteger, nullable=False),
        Column("frontier", LargeBinary, nullable=False),
        CheckConstraint(f"id = {_HEAD_ID}", name=f"{prefix}_head_single_row"),
    )
    checkpoints = Table(
        f"{prefix}_checkpoints",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("size", BigInteger, nullable=False, index=True),
        Column("root_hash", LargeBinary(32), nullable=False),
        Column("note", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    return TranslogTables(leaves, nodes, head, checkpoints)


@dataclass(frozen=True)
class Leaf:
    index: int
    data: bytes
    leaf_hash: bytes
    created_at: datetime


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root_hash: bytes
    note: str
    created_at: datetime


def _utc(instant: datetime | None) -> datetime:
    if instant is None:
        return datetime.now(UTC)
    if instant.tzinfo is None:
        raise ValueError("expected an aware datetime, got a naive one")
    return instant.astimezone(UTC)


def node_id(level: int, index: int) -> int:
    """The in-order position of the complete subtree (level, index): its key in the nodes table."""
    return ((2 * index + 1) << level) - 1


def _lookup(hashes: dict[int, bytes]) -> rfc9162.NodeHash:
    return lambda level, index: hashes[node_id(level, index)]


def _as_utc(stored: datetime) -> datetime:
    # SQLite gives back the naive UTC instant it was given.
    return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


class TransparencyLog:
    """An append-only Merkle log over `tables`; every method runs in the caller's session."""

    def __init__(self, tables: TranslogTables) -> None:
        self.tables = tables
        leaves, nodes = tables.leaves, tables.nodes
        # One statement of fixed shape (compiled once): level-0 hashes come from the leaves table.
        self._fetch_nodes = union_all(
            select((leaves.c.leaf_index * 2).label("node_id"), leaves.c.leaf_hash).where(
                leaves.c.leaf_index.in_(bindparam("leaf_indexes", expanding=True))
            ),
            select(nodes.c.node_id, nodes.c.hash).where(
                nodes.c.node_id.in_(bindparam("node_ids", expanding=True))
            ),
        )

    # --- writes -------------------------------------------------------------------------------------

    async def append(self, session: AsyncSession, data: bytes, *, now: datetime | None = None) -> int:
        """Append one leaf; return its index."""
        return (await self.append_many(session, [data], now=now)).start

    async def append_many(
        self, session: AsyncSession, items: Sequence[bytes], *, now: datetime | None = None
    ) -> range:
        """Append leaves in order, with batched inserts; return their indexes."""
        created_at = _utc(now)
        size, frontier = await self._head(session, lock=True)
        leaf_rows: list[dict[str, object]] = []
        node_rows: list[dict[str, object]] = []
        for offset, data in enumerate(items):
            closed = compact.append_leaf(frontier, size + offset, rfc9162.leaf_hash(data))
            leaf = closed[0]
            leaf_rows.append(
                {"leaf_index": leaf.index, "leaf_hash": leaf.hash, "data": data, "created_at": created_at}
            )
            node_rows.extend({"node_id": node_id(n.level, n.index), "hash": n.hash} for n in closed[1:])
        if leaf_rows:
            await session.execute(insert(self.tables.leaves), leaf_rows)
        if node_rows:
            await session.execute(insert(self.tables.nodes), node_rows)
        new_size = size + len(leaf_rows)
        head = self.tables.head
        await session.execute(
            update(head).where(head.c.id == _HEAD_ID).values(size=new_size, frontier=compact.pack(frontier))
        )
        return range(size, new_size)

    async def sign_checkpoint(self, session: AsyncSession, origin: str, signer: Signer, now: datetime) -> str:
        """Sign the current tree head as a C2SP checkpoint, store it and return the signed note."""
        size, frontier = await self._head(session, lock=False)
        checkpoint = Checkpoint(origin, size, compact.frontier_root(frontier))
        note = sign_checkpoint(checkpoint, signer)
        await session.execute(
            insert(self.tables.checkpoints).values(
                size=size, root_hash=checkpoint.root_hash, note=note, created_at=_utc(now)
            )
        )
        return note

    # --- reads --------------------------------------------------------------------------------------

    async def size(self, session: AsyncSession) -> int:
        return (await self._head(session, lock=False))[0]

    async def root(self, session: AsyncSession, size: int) -> bytes:
        """The root hash of the tree of `size` leaves (any size the log has reached)."""
        if size == 0:
            return rfc9162.EMPTY_ROOT
        hashes = await self._fetch(session, rfc9162.root_nodes(size), size)
        return rfc9162.root_from_nodes(size, _lookup(hashes))

    async def inclusion_proof(self, session: AsyncSession, index: int, size: int) -> list[bytes]:
        """The RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves."""
        hashes = await self._fetch(session, rfc9162.inclusion_nodes(index, size), size)
        return rfc9162.inclusion_proof(index, size, _lookup(hashes))

    async def consistency_proof(self, session: AsyncSession, old: int, new: int) -> list[bytes]:
        """The RFC 9162 consistency proof from the tree of `old` leaves to the tree of `new` leaves."""
        if old == 0:
            raise ProofError(
                f"expected an old size > 0 (a proof from the empty tree is meaningless), got {old}"
            )
        hashes = await self._fetch(session, rfc9162.consistency_nodes(old, new), new)
        return rfc9162.consistency_proof(old, new, _lookup(hashes))

    async def leaves(self, session: AsyncSession, start: int, end: int) -> list[Leaf]:
        """The leaves with index in [start, end), in order (fewer if the log is shorter)."""
        if not 0 <= start <= end:
            raise ProofError(f"expected 0 <= start <= end, got start={start} end={end}")
        t = self.tables.leaves
        rows = await session.execute(
            select(t.c.leaf_index, t.c.data, t.c.leaf_hash, t.c.created_at)
            .where(t.c.leaf_index >= start, t.c.leaf_index < end)
            .order_by(t.c.leaf_index)
        )
        return [Leaf(i, data, h, _as_utc(at)) for i, data, h, at in rows]

    async def latest_checkpoint(self, session: AsyncSession) -> StoredCheckpoint | None:
        """The stored checkpoint of the largest size (the most recent one among equals)."""
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
        return StoredCheckpoint(row.size, row.root_hash, row.note, _as_utc(row.created_at))

    # --- internals ----------------------------------------------------------------------------------

    async def _head(self, session: AsyncSession, *, lock: bool) -> tuple[int, list[bytes]]:
        head = self.tables.head
        stmt = select(head.c.size, head.c.frontier).where(head.c.id == _HEAD_ID)
        if lock:
            stmt = stmt.with_for_update()
        row = (await session.execute(stmt)).one_or_none()
        if row is None and lock:
            await self._create_head(session)
            row = (await session.execute(stmt)).one()
        if row is None:
            return 0, []
        return row.size, compact.unpack(row.frontier, row.size)

    async def _create_head(self, session: AsyncSession) -> None:
        # Concurrent first appends both try; ON CONFLICT makes the loser wait and then do nothing.
        values = {"id": _HEAD_ID, "size": 0, "frontier": b""}
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            await session.execute(postgresql.insert(self.tables.head).values(values).on_conflict_do_nothing())
        elif dialect == "sqlite":
            await session.execute(sqlite.insert(self.tables.head).values(values).on_conflict_do_nothing())
        else:
            await session.execute(insert(self.tables.head).values(values))

    async def _fetch(self, session: AsyncSession, needed: Iterable[NodeId], size: int) -> dict[int, bytes]:
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
        rows = await session.execute(self._fetch_nodes, params)
        found = {int(row[0]): bytes(row[1]) for row in rows}
        if edge not in found:
            current = await self.size(session)
            raise ProofError(f"expected a tree size <= {current} (the log's size), got {size}")
        if len(found) != len(wanted):
            missing = sorted(wanted - found.keys())
            raise RuntimeError(f"translog store is missing node ids {missing[:5]} below size {size}")
        return found
