"""The log's tables and the values its store hands out (leaves, checkpoints, index references).

Tables (`define_translog_tables`, prefix `journal` by default):

- `<prefix>_pending`: the queue: leaves written by `enqueue` that no integration has taken yet. `id`
  gives the queue order; `data` and `created_at` become the leaf's; `refs` names business
  columns to set to the leaf's index when it is integrated (`IndexRef`).
- `<prefix>_leaves`: leaf index (PK), leaf hash, leaf data, created_at. Never updated or deleted.
- `<prefix>_nodes`: hash of every complete subtree of level >= 1, written by the append that closes it
  (level 0 is the leaf hash), keyed by its in-order position `node_id = (2 * index + 1) * 2**level - 1`
  (leaf i is position 2i, so interior nodes are the odd numbers). One integer key keeps "these 40
  nodes" a plain `IN` list that every engine answers from the primary key. Immutable once written.
- `<prefix>_head`: one row (id 1): the tree size and its frontier (`compact.py`), so an append reads
  one row and a root at the current size reads nothing else.
- `<prefix>_checkpoints`: every signed checkpoint: size, root hash, note text, created_at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
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
    insert,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

HEAD_ID = 1


@dataclass(frozen=True)
class TranslogTables:
    pending: Table
    leaves: Table
    nodes: Table
    head: Table
    checkpoints: Table


def define_translog_tables(metadata: MetaData, prefix: str = "journal") -> TranslogTables:
    """Declare the log's five tables on `metadata` (create them with Alembic or `create_all`)."""
    pending = Table(
        f"{prefix}_pending",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("data", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("refs", JSON(none_as_null=True), nullable=True),
    )
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
        CheckConstraint(f"id = {HEAD_ID}", name=f"{prefix}_head_single_row"),
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
    return TranslogTables(pending, leaves, nodes, head, checkpoints)


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


@dataclass(frozen=True)
class IndexRef:
    """A business row's column that receives the leaf's index when the leaf is integrated.

    `column` must be one of the log's `references` (a column of a table with a one-column primary
    key); `key` is the row's primary key. The row must exist when the leaf is queued (flush first).
    An integration updates these rows while it holds the log's head row: name rows that nothing
    locks while waiting for the log (rows written once, like event and access records).
    """

    column: ColumnElement[Any]
    key: int | str


def node_id(level: int, index: int) -> int:
    """The in-order position of the complete subtree (level, index): its key in the nodes table."""
    return ((2 * index + 1) << level) - 1


def utc(instant: datetime | None) -> datetime:
    """`instant` in UTC (now when None); a naive datetime is refused."""
    if instant is None:
        return datetime.now(UTC)
    if instant.tzinfo is None:
        raise ValueError("expected an aware datetime, got a naive one")
    return instant.astimezone(UTC)


def as_utc(stored: datetime) -> datetime:
    """A stored instant as an aware UTC datetime (SQLite gives back the naive UTC instant it was given)."""
    return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


def table_column(column: ColumnElement[Any]) -> tuple[Table, Column[Any]]:
    if not isinstance(column, Column) or not isinstance(column.table, Table):
        raise TypeError(f"expected a table column, got {column!r}")
    return column.table, column


def reference_name(column: ColumnElement[Any]) -> str:
    """« table.column »: how a queued leaf names the business column that receives its index."""
    table, col = table_column(column)
    return f"{table.name}.{col.name}"


async def create_head(session: AsyncSession, tables: TranslogTables) -> None:
    """Create the head row (size 0) if it is missing; concurrent first appends both try, and
    ON CONFLICT makes the loser wait and then do nothing."""
    values = {"id": HEAD_ID, "size": 0, "frontier": b""}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        await session.execute(postgresql.insert(tables.head).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        await session.execute(sqlite.insert(tables.head).values(values).on_conflict_do_nothing())
    else:
        await session.execute(insert(tables.head).values(values))
