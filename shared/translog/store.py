"""An RFC 9162 log kept in SQL tables: leaves queued by the caller's transaction, integrated in batches.

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

Reads of a root or a proof fetch only the O(log n) complete subtrees it needs, in one query (see
`rfc9162.inclusion_nodes`), plus one node ending exactly at the requested size, whose presence proves
the log has reached that size. Only integrated leaves are in `leaves`: a queued leaf has no index, no
proof and no place in a checkpoint until it is integrated.

Writes. `TransparencyLog` never commits; there are two ways in:

- `enqueue` (what the services use; PostgreSQL): the caller's transaction inserts the leaf into the queue and
  takes no lock, so concurrent callers commit in parallel (PostgreSQL's group commit shares their
  fsyncs); the leaf, its instant and the state change it records commit or roll back together (a
  rolled-back transaction leaves nothing queued). Right after the commit the leaf is integrated in a
  transaction of its own by the process's integration loop for the log (`_Sequencer`): one
  integration at a time, back to back while commits keep coming, each taking the whole queue, so
  callers that committed while one ran share the next one (8 commits at once → one or two
  integrations, not eight). By default `shared.db.Database.transaction` returns once the caller's
  leaves are integrated (so before the HTTP response leaves, and the `refs` columns are set);
  with `wait=False` (or a log built with `wait_for_integration=False`) it returns after the commit,
  the leaf durable in the queue, and the loop integrates it in the background in queue order: the
  caller's throughput is then that of its own commits (bench/journal).
- `append` / `append_many` (in the caller's transaction): integrate the queue, then append the
  caller's leaves, holding the head row lock until the caller commits — for callers that sign a
  checkpoint or build a proof covering their own leaf in the same transaction. These are serialised
  including their commits (a few hundred per second at most).

Integration (`integrate`): lock the head row (`SELECT ... FOR UPDATE`), read the queue in id order,
write the leaves with consecutive indexes from the head's size and the nodes they close, delete
exactly those queue rows, update the head and set the `refs` columns, in one transaction. Integrators
queue on the lock and each sees what its predecessor committed (READ COMMITTED: PostgreSQL sessions
must not run at REPEATABLE READ), so indexes are consecutive with no gaps. A queued row whose
transaction commits after an integration read the queue (even with a smaller id) goes into the next
one: leaves are integrated in queue order among the rows committed when each integration starts.
On PostgreSQL with asyncpg the post-commit integration runs the same statements on the driver
directly, in four round trips (BEGIN with the lock, the take returning the head's values, the write,
COMMIT), on one connection kept while the loop runs: SQLAlchemy's session machinery cost more
client CPU than the database's work.

Recovery: a queued leaf is durable once its caller committed. If the process dies before integrating
it, every later integration takes it (each takes the whole queue): the next `enqueue` or `append`
anywhere, `sign_checkpoint` (a checkpoint covers every leaf committed before it is signed) and
`integrate_pending` (which the services run at start-up).

SQLite: writers are already serialised by `BEGIN IMMEDIATE`, so a queue would only add a second
commit: `enqueue` appends in the caller's transaction at once, as `append` does (integrating the
queue first and setting the refs there). The queue stays empty; the integration code is the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
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
    bindparam,
    cast,
    delete,
    func,
    insert,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine

from shared.db import after_commit_tasks
from shared.translog import compact, rfc9162
from shared.translog.checkpoint import Checkpoint, sign_checkpoint
from shared.translog.note import Signer
from shared.translog.rfc9162 import NodeId, ProofError

logger = logging.getLogger("signif.translog")

_HEAD_ID = 1
#: Queue rows per integration statement batch (keeps `IN` lists far below driver limits).
_BATCH = 1000
#: Attempts of an integration that PostgreSQL aborted as a deadlock or serialisation failure.
_ATTEMPTS = 5
_RETRYABLE = {"40001", "40P01"}


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


@dataclass(frozen=True)
class _Reference:
    table: Table
    key: Column[Any]
    column: Column[Any]


@dataclass
class _Batch:
    """What one write stores: leaf and node rows, refs {column name: [(key, index)]}, the new head."""

    size: int
    frontier: bytes
    leaves: list[dict[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    refs: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)


def _table_column(column: ColumnElement[Any]) -> tuple[Table, Column[Any]]:
    if not isinstance(column, Column) or not isinstance(column.table, Table):
        raise TypeError(f"expected a table column, got {column!r}")
    return column.table, column


def _reference_name(column: ColumnElement[Any]) -> str:
    table, col = _table_column(column)
    return f"{table.name}.{col.name}"


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


def _retryable(exc: DBAPIError | asyncpg.PostgresError) -> bool:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in _RETRYABLE


def _serialised(session: AsyncSession) -> bool:
    """SQLite: the caller's transaction holds the database's only write lock (`BEGIN IMMEDIATE`)."""
    return session.get_bind().dialect.name == "sqlite"


def _engine_of(session: AsyncSession) -> AsyncEngine:
    bind = session.bind
    if isinstance(bind, AsyncConnection):
        return bind.engine
    if isinstance(bind, AsyncEngine):
        return bind
    raise TypeError(f"expected a session bound to an async engine, got {bind!r}")


class _Sequencer:
    """One process's post-commit integrations of one log on one database: a single loop.

    A commit that queued leaves calls `request`; the loop runs integrations back to back while
    requests keep arriving, each taking the whole queue, so the commits made during one integration
    share the next (8 commits at once: one or two integrations, not eight). The future `request`
    returns is resolved once an integration that started after the request has finished: that
    integration read the queue after the caller's commit, so it took the caller's leaves. A failed
    integration is logged and resolves its waiters too: the leaves stay queued and durable, and the
    next integration (or start-up) takes them.
    """

    def __init__(self, log: TransparencyLog) -> None:
        self._log = log
        self._requested = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._task: asyncio.Task[None] | None = None

    def request(self, engine: AsyncEngine) -> asyncio.Future[None]:
        """Ask for an integration that starts from now on; the future says when one has finished."""
        loop = asyncio.get_running_loop()
        self._requested += 1
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append((self._requested, waiter))
        if self._task is not None and self._task.get_loop() is not loop:
            # A previous event loop's (tests run one per test): its loop and waiters are gone.
            self._task = None
            self._waiters = deque(w for w in self._waiters if w[1].get_loop() is loop)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(engine))
        return waiter

    async def idle(self) -> None:
        """Return once no integration is running or requested."""
        while (task := self._task) is not None and not task.done():
            await asyncio.shield(task)

    async def _run(self, engine: AsyncEngine) -> None:
        done = 0
        # PostgreSQL: one pooled connection for back-to-back integrations, replaced after a failure.
        connection: AsyncConnection | None = None
        try:
            while True:
                while done < self._requested:
                    target = self._requested
                    try:
                        if connection is None and engine.dialect.driver == "asyncpg":
                            connection = await engine.connect()
                        await self._log.integrate_pending(engine, connection=connection)
                    except Exception:
                        logger.exception(
                            "translog integration after commit failed", extra={"log": self._log.name}
                        )
                        await _close(connection)
                        connection = None
                    done = target
                    self._resolve(done)
                await _close(connection)
                connection = None
                # A request made while the connection was closing found this task running: take it.
                if done >= self._requested:
                    return  # no await since the check: a later request starts a new task
        finally:
            if self._task is asyncio.current_task():
                self._task = None
            if connection is not None:  # cancelled (the event loop is closing)
                self._resolve(self._requested)
                await _close(connection)

    def _resolve(self, done: int) -> None:
        while self._waiters and self._waiters[0][0] <= done:
            waiter = self._waiters.popleft()[1]
            if not waiter.done():
                waiter.set_result(None)


async def _rollback(raw: asyncpg.Connection, conn: AsyncConnection) -> None:
    """End a failed asyncpg integration's transaction, or have the pool drop the connection."""
    try:
        if not raw.is_closed():
            await raw.execute("ROLLBACK")
            return
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        logger.exception("translog integration not rolled back")
    await conn.invalidate()


async def _close(connection: AsyncConnection | None) -> None:
    """Give `connection` back to the pool (or let the pool drop it if it is broken)."""
    if connection is not None:
        try:
            await connection.close()
        except Exception:
            logger.exception("translog integration connection not closed cleanly")


_ENQUEUED = "signif.translog.enqueued"


@sa_event.listens_for(Session, "after_commit")
def _integrate_after_commit(session: Session) -> None:
    enqueued: dict[int, tuple[TransparencyLog, AsyncEngine, bool]] | None = session.info.pop(_ENQUEUED, None)
    if not enqueued:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # pragma: no cover - a synchronous session: integration waits for the next one
        return
    for log, engine, wait in enqueued.values():
        integrated = log.sequencer(engine).request(engine)
        if wait:
            after_commit_tasks(session).append(integrated)


class TransparencyLog:
    """An append-only Merkle log over `tables`; every method runs in the caller's session.

    `references`: the business columns queued leaves may ask to receive their index (`IndexRef`).
    `wait_for_integration`: whether a transaction that queued leaves (`enqueue`) returns only once
    they are integrated (the default; see `enqueue`'s `wait`).
    """

    def __init__(
        self,
        tables: TranslogTables,
        references: Iterable[ColumnElement[Any]] = (),
        *,
        wait_for_integration: bool = True,
    ) -> None:
        self.tables = tables
        self.wait_for_integration = wait_for_integration
        self.name = tables.leaves.name.removesuffix("_leaves")
        self._references: dict[str, _Reference] = {}
        for column in references:
            table, col = _table_column(column)
            keys = list(table.primary_key.columns)
            if len(keys) != 1:
                raise ValueError(f"expected a one-column primary key on {table.name}")
            self._references[_reference_name(col)] = _Reference(table, keys[0], col)
        self._sequencers: weakref.WeakKeyDictionary[Engine, _Sequencer] = weakref.WeakKeyDictionary()
        self._postgresql_writes: dict[tuple[str, ...], Executable] = {}
        # asyncpg: statement -> (statement, SQL, parameter names in order, constant parameters).
        self._asyncpg_sql: dict[int, tuple[Executable, str, Sequence[str], dict[str, Any]]] = {}
        # Statements of fixed shape, built once.
        head, pending = tables.head, tables.pending
        self._enqueue = insert(pending)
        self._read_head = select(head.c.size, head.c.frontier).where(head.c.id == _HEAD_ID)
        self._read_head_for_update = self._read_head.with_for_update()
        self._create_head_postgresql = (
            postgresql.insert(head).values(id=_HEAD_ID, size=0, frontier=b"").on_conflict_do_nothing()
        )
        # Read and delete the queue's first `take` rows in one statement (RETURNING has no order).
        first = select(pending.c.id).order_by(pending.c.id).limit(bindparam("take")).scalar_subquery()
        self._take = (
            delete(pending)
            .where(pending.c.id.in_(first))
            .returning(pending.c.id, pending.c.data, pending.c.created_at, pending.c.refs)
        )
        # asyncpg integration (`_integrate_batch_asyncpg`): BEGIN and the head row lock in one round
        # trip (simple query protocol), then the queue taken with the head's values in one statement.
        # `_asyncpg_lock` is rendered when first used (it needs the engine's dialect).
        self._asyncpg_lock: str | None = None
        h = self._read_head.cte("h")
        taken = self._take.cte("taken")
        self._take_with_head = union_all(
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
        self._fetch_nodes = union_all(
            select((leaves.c.leaf_index * 2).label("node_id"), leaves.c.leaf_hash).where(
                leaves.c.leaf_index.in_(bindparam("leaf_indexes", expanding=True))
            ),
            select(nodes.c.node_id, nodes.c.hash).where(
                nodes.c.node_id.in_(bindparam("node_ids", expanding=True))
            ),
        )

    def sequencer(self, engine: AsyncEngine) -> _Sequencer:
        """This process's post-commit integrator of this log on `engine`'s database."""
        sequencer = self._sequencers.get(engine.sync_engine)
        if sequencer is None:
            sequencer = self._sequencers[engine.sync_engine] = _Sequencer(self)
        return sequencer

    async def integrated(self, engine: AsyncEngine) -> None:
        """Return once this process has integrated every leaf its commits queued on `engine`
        (the integrations `enqueue(..., wait=False)` left running)."""
        await self.sequencer(engine).idle()

    # --- writes: the queue -------------------------------------------------------------------------

    async def enqueue(
        self,
        session: AsyncSession,
        data: bytes,
        *,
        now: datetime | None = None,
        refs: Sequence[IndexRef] = (),
        wait: bool | None = None,
    ) -> None:
        """Queue one leaf in the caller's transaction; it is integrated right after the commit.

        Its index is not known before the integration: `refs` name the business columns that
        receive it. `wait` (default: the log's `wait_for_integration`): whether
        `shared.db.Database.transaction` returns only once the leaf is integrated; without waiting
        it returns after the commit (the leaf is durable in the queue) and this process's
        integration loop integrates it, in queue order, in the background.
        """
        await self.enqueue_many(session, [data], now=now, refs=[refs], wait=wait)

    async def enqueue_many(
        self,
        session: AsyncSession,
        items: Sequence[bytes],
        *,
        now: datetime | None = None,
        refs: Sequence[Sequence[IndexRef]] | None = None,
        wait: bool | None = None,
    ) -> None:
        """Queue leaves in order (one statement), integrated right after the commit (see `enqueue`);
        `refs[i]`, when given, name the business columns that receive the index of `items[i]`."""
        if not items:
            return
        if refs is not None and len(refs) != len(items):
            raise ValueError(f"expected one refs entry per item ({len(items)}), got {len(refs)}")
        stored = [self._refs(r) for r in refs] if refs is not None else [None] * len(items)
        created_at = _utc(now)
        if _serialised(session):
            await self._append_now(session, list(zip(items, stored, strict=True)), created_at)
            return
        rows = [
            {"data": data, "created_at": created_at, "refs": r} for data, r in zip(items, stored, strict=True)
        ]
        await session.execute(self._enqueue, rows[0] if len(rows) == 1 else rows)  # one: not executemany
        self._integrate_after_commit(session, wait)

    async def integrate(self, session: AsyncSession, *, limit: int | None = None) -> dict[int, int]:
        """Integrate the queue (at most `limit` rows) in the caller's transaction: {queue id: index}.

        Holds the head row lock until the caller's transaction ends.
        """
        size, frontier = await self._head(session, lock=True)
        integrated, _ = await self._integrate_queue(session, size, frontier, limit)
        return integrated

    async def integrate_pending(
        self, engine: AsyncEngine, *, batch: int = _BATCH, connection: AsyncConnection | None = None
    ) -> int:
        """Integrate the whole queue in transactions of their own (`batch` leaves each): recovery at
        start-up, and what runs after a commit that queued. Returns how many leaves were integrated.

        PostgreSQL: `connection` (of `engine`, with no transaction open) is used instead of a new
        checkout for each transaction.
        """
        total = 0
        while True:
            done = await self._integrate_batch(engine, batch, connection)
            total += done
            if done < batch:
                return total

    async def has_pending(self, session: AsyncSession) -> bool:
        """Whether committed leaves (or this transaction's own) wait in the queue."""
        pending = self.tables.pending
        return (await session.execute(select(pending.c.id).limit(1))).first() is not None

    # --- writes: in the caller's transaction -------------------------------------------------------

    async def append(self, session: AsyncSession, data: bytes, *, now: datetime | None = None) -> int:
        """Integrate the queue, then append one leaf; return its index. Locks the head until commit."""
        return (await self.append_many(session, [data], now=now)).start

    async def append_many(
        self, session: AsyncSession, items: Sequence[bytes], *, now: datetime | None = None
    ) -> range:
        """Integrate the queue, then append leaves in order, with batched inserts; return their indexes.

        Holds the head row lock until the caller's transaction ends.
        """
        return await self._append_now(session, [(data, None) for data in items], _utc(now))

    async def sign_checkpoint(self, session: AsyncSession, origin: str, signer: Signer, now: datetime) -> str:
        """Integrate the queue, sign the tree head as a C2SP checkpoint, store it and return the note.

        The checkpoint therefore covers every leaf whose transaction committed before it was signed.
        """
        await self.integrate(session)
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
        stmt = self._read_head_for_update if lock else self._read_head
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

    def _integrate_after_commit(self, session: AsyncSession, wait: bool | None) -> None:
        """Have the commit request an integration (`_integrate_after_commit` event), awaited by
        `Database.transaction` if any of the transaction's enqueues wants to wait."""
        wait = self.wait_for_integration if wait is None else wait
        enqueued = session.info.setdefault(_ENQUEUED, {})
        previous = enqueued.get(id(self))
        enqueued[id(self)] = (self, _engine_of(session), wait or (previous is not None and previous[2]))

    async def _append_now(
        self,
        session: AsyncSession,
        items: Sequence[tuple[bytes, list[list[Any]] | None]],
        created_at: datetime,
    ) -> range:
        """Integrate the queue, then append `items` (data, stored refs) at once; the head stays locked."""
        size, frontier = await self._head(session, lock=True)
        _, start = await self._integrate_queue(session, size, frontier, None)
        if not items:
            return range(start, start)
        batch = self._batch(start, frontier, [(data, created_at, refs) for data, refs in items])
        await self._store(session, batch)
        return range(start, batch.size)

    def _refs(self, refs: Sequence[IndexRef]) -> list[list[Any]] | None:
        stored: list[list[Any]] = []
        for ref in refs:
            name = _reference_name(ref.column)
            if name not in self._references:
                raise ValueError(
                    f"expected one of the log's references {sorted(self._references)}, got {name}"
                )
            stored.append([name, ref.key])
        return stored or None

    async def _integrate_batch(
        self, engine: AsyncEngine, batch: int, connection: AsyncConnection | None
    ) -> int:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                if engine.dialect.driver == "asyncpg":
                    if connection is not None:
                        return await self._integrate_batch_asyncpg(engine, connection, batch)
                    async with engine.connect() as conn:
                        return await self._integrate_batch_asyncpg(engine, conn, batch)
                async with AsyncSession(engine) as session, session.begin():
                    return len(await self.integrate(session, limit=batch))
            except (DBAPIError, asyncpg.PostgresError) as exc:
                if attempt == _ATTEMPTS or not _retryable(exc):
                    raise
                logger.warning("translog integration retried", extra={"log": self.name, "attempt": attempt})
        raise AssertionError("unreachable")  # pragma: no cover

    async def _integrate_batch_asyncpg(self, engine: AsyncEngine, conn: AsyncConnection, batch: int) -> int:
        """`integrate(limit=batch)` in a transaction of its own, on `conn`'s asyncpg driver
        directly (statements compiled once from the ones `integrate` runs), without SQLAlchemy's
        session and result machinery, which cost about 1 ms of client CPU per integration, several
        times the database's work (bench/journal); and in four round trips instead of five: BEGIN
        with the head row lock, the queue taken with the head's values, the write, COMMIT."""
        raw = (await conn.get_raw_connection()).driver_connection
        if not isinstance(raw, asyncpg.Connection):  # pragma: no cover - asyncpg's own pool proxies
            raise TypeError(f"expected an asyncpg connection, got {raw!r}")
        # The head row is locked by its own statement, before the take's statement starts: at READ
        # COMMITTED the take's snapshot is then taken after the previous integrator committed.
        # Custom plans only: asyncpg keeps each statement prepared on the kept connection, and a generic
        # plan made while the queue and the reference tables were small (hash join over a sequential
        # scan of the consultations) stayed cached while they grew: 5 ms per integration after 15,000
        # consultations, the service's p99 up 60 % within a minute (bench/purge's control run).
        if self._asyncpg_lock is None:
            lock = self._read_head_for_update.compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}
            )
            self._asyncpg_lock = f"BEGIN; SET LOCAL plan_cache_mode = force_custom_plan; {lock}"
        try:
            locked = await raw.execute(self._asyncpg_lock)  # the last command's status: "SELECT <rows>"
            if locked != "SELECT 1":  # no head row yet: the first integration creates it
                await raw.execute(*self._asyncpg(engine, self._create_head_postgresql, {}))
                await raw.execute(*self._asyncpg(engine, self._read_head_for_update, {}))
            taken = await raw.fetch(*self._asyncpg(engine, self._take_with_head, {"take": batch}))
            head = next(row for row in taken if row[0] is not None)
            rows = sorted((row for row in taken if row[0] is None), key=lambda row: int(row[2]))
            if rows:
                size = int(head[0])
                entries = [
                    (data, _as_utc(created_at), json.loads(refs) if isinstance(refs, str) else refs)
                    for _, _, _, data, created_at, refs in rows
                ]
                write = self._batch(size, compact.unpack(head[1], size), entries)
                names, params = self._postgresql_params(write)
                await raw.execute(*self._asyncpg(engine, self._postgresql_write(names), params))
            await raw.execute("COMMIT")
        except BaseException:
            await _rollback(raw, conn)
            raise
        return len(rows)

    def _asyncpg(self, engine: AsyncEngine, statement: Executable, params: dict[str, Any]) -> list[Any]:
        """The SQL text of one of the log's statements for asyncpg (compiled once), then its arguments."""
        compiled = self._asyncpg_sql.get(id(statement))
        if compiled is None or compiled[0] is not statement:
            sql = statement.compile(dialect=engine.dialect) if isinstance(statement, ClauseElement) else None
            if not isinstance(sql, SQLCompiler):  # pragma: no cover - the log's statements are SQL
                raise TypeError(f"expected a SQL statement, got {statement!r}")
            compiled = (statement, str(sql), sql.positiontup or [], sql.params)
            self._asyncpg_sql[id(statement)] = compiled
        _, text, names, constants = compiled
        return [text, *(params[name] if name in params else constants[name] for name in names)]

    async def _integrate_queue(
        self, session: AsyncSession, size: int, frontier: list[bytes], limit: int | None
    ) -> tuple[dict[int, int], int]:
        """Move queued rows (at most `limit`) into the tree after `size`; the head row must be locked."""
        integrated: dict[int, int] = {}
        while limit is None or len(integrated) < limit:
            take = _BATCH if limit is None else min(_BATCH, limit - len(integrated))
            taken = await session.execute(self._take, {"take": take})
            rows = sorted(taken.all(), key=lambda row: int(row.id))
            if not rows:
                break
            batch = self._batch(size, frontier, [(r.data, _as_utc(r.created_at), r.refs) for r in rows])
            await self._store(session, batch)
            integrated.update(zip([row.id for row in rows], range(size, batch.size), strict=True))
            size = batch.size
            if len(rows) < take:
                break
        return integrated, size

    def _batch(
        self,
        size: int,
        frontier: list[bytes],
        entries: Sequence[tuple[bytes, datetime, list[list[Any]] | None]],
    ) -> _Batch:
        """The rows that append `entries` (data, created_at, stored refs) from index `size`; updates
        `frontier` in place."""
        batch = _Batch(size + len(entries), b"")
        for offset, (data, created_at, refs) in enumerate(entries):
            closed = compact.append_leaf(frontier, size + offset, rfc9162.leaf_hash(data))
            leaf = closed[0]
            batch.leaves.append(
                {"leaf_index": leaf.index, "leaf_hash": leaf.hash, "data": data, "created_at": created_at}
            )
            batch.nodes.extend({"node_id": node_id(n.level, n.index), "hash": n.hash} for n in closed[1:])
            for name, key in refs or ():
                if name in self._references:
                    batch.refs.setdefault(name, []).append((key, leaf.index))
                else:
                    # Validated when queued: only a process configured differently can get here.
                    # Never block the log for it; the leaf is integrated, the column stays empty.
                    logger.error(
                        "queued leaf refers to an unknown column", extra={"log": self.name, "ref": name}
                    )
        batch.frontier = compact.pack(frontier)
        return batch

    async def _store(self, session: AsyncSession, batch: _Batch) -> None:
        """Write the batch's leaves, nodes and refs and the new head (the head row must be locked).

        Refs are written sorted by column then key, so concurrent writers would lock rows alike.
        """
        if session.get_bind().dialect.name == "postgresql":
            await self._store_postgresql(session, batch)
            return
        await session.execute(insert(self.tables.leaves), batch.leaves)
        if batch.nodes:
            await session.execute(insert(self.tables.nodes), batch.nodes)
        head = self.tables.head
        await session.execute(
            update(head).where(head.c.id == _HEAD_ID).values(size=batch.size, frontier=batch.frontier)
        )
        for name in sorted(batch.refs):
            reference = self._references[name]
            await session.execute(
                update(reference.table)
                .where(reference.key == bindparam("ref_key"))
                .values({reference.column: bindparam("ref_index")}),
                [{"ref_key": k, "ref_index": i} for k, i in sorted(batch.refs[name])],
            )

    async def _store_postgresql(self, session: AsyncSession, batch: _Batch) -> None:
        """`_store` in one statement (one round trip, whatever the batch size): data-modifying CTEs
        over `unnest` of array parameters, so the statement text (prepared once) does not vary."""
        names, params = self._postgresql_params(batch)
        await session.execute(self._postgresql_write(names), params)

    def _postgresql_params(self, batch: _Batch) -> tuple[tuple[str, ...], dict[str, Any]]:
        """The refs' column names (which statement) and the parameters of `_postgresql_write`."""
        names = tuple(sorted(batch.refs))
        params: dict[str, Any] = {
            "leaf_index": [row["leaf_index"] for row in batch.leaves],
            "leaf_hash": [row["leaf_hash"] for row in batch.leaves],
            "data": [row["data"] for row in batch.leaves],
            "created_at": [row["created_at"] for row in batch.leaves],
            "node_id": [row["node_id"] for row in batch.nodes],
            "node_hash": [row["hash"] for row in batch.nodes],
            "size": batch.size,
            "frontier": batch.frontier,
        }
        for k, name in enumerate(names):
            pairs = sorted(batch.refs[name])
            params[f"ref{k}_key"] = [key for key, _ in pairs]
            params[f"ref{k}_index"] = [index for _, index in pairs]
        return names, params

    def _postgresql_write(self, names: tuple[str, ...]) -> Executable:
        statement = self._postgresql_writes.get(names)
        if statement is not None:
            return statement

        def arrays(*columns: tuple[str, TypeEngine[Any]]) -> TableValuedAlias:
            """`unnest(CAST(:a AS t[]), ...)` as a table with one column per parameter."""
            args = [cast(bindparam(name, type_=ARRAY(type_)), ARRAY(type_)) for name, type_ in columns]
            return func.unnest(*args).table_valued(*(name for name, _ in columns)).render_derived()

        t = self.tables
        leaves = arrays(
            ("leaf_index", BigInteger()),
            ("leaf_hash", LargeBinary()),
            ("data", LargeBinary()),
            ("created_at", DateTime(timezone=True)),
        )
        nodes = arrays(("node_id", BigInteger()), ("node_hash", LargeBinary()))
        ctes = [
            insert(t.leaves)
            .from_select(["leaf_index", "leaf_hash", "data", "created_at"], select(leaves))
            .cte("new_leaves"),
            insert(t.nodes).from_select(["node_id", "hash"], select(nodes)).cte("new_nodes"),
        ]
        for k, name in enumerate(names):
            ref = self._references[name]
            pairs = arrays((f"ref{k}_key", ref.key.type), (f"ref{k}_index", BigInteger()))
            ctes.append(
                update(ref.table)
                .values({ref.column: pairs.c[f"ref{k}_index"]})
                .where(ref.key == pairs.c[f"ref{k}_key"])
                .cte(f"ref{k}")
            )
        head = t.head
        statement = (
            update(head)
            .where(head.c.id == _HEAD_ID)
            .values(
                size=bindparam("size", type_=BigInteger), frontier=bindparam("frontier", type_=LargeBinary)
            )
            .add_cte(*ctes)
        )
        self._postgresql_writes[names] = statement
        return statement

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
