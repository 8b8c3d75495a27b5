"""An RFC 9162 log kept in SQL tables: leaves queued by the caller's transaction, integrated in batches.

The store is split so the code a judge must trust reads plainly:

- `tables.py`: the five tables (queue, leaves, nodes, head, checkpoints) and the values handed out;
- `batch.py`: what one write stores, computed without a database (pure);
- `reference.py`: every read and write in plain SQLAlchemy, on any engine — the reference;
- `adapters/`: the fast paths measured by bench/journal (`asyncpg`: PostgreSQL; `sqlite`), each
  replacing one reference write and checked against it by property tests;
- `sequencer.py`: the per-process loop that integrates right after a commit;
- this module: `TransparencyLog`, the API the services use, choosing the reference or an adapter.

Writes. `TransparencyLog` never commits; there are two ways in:

- `enqueue` (what the services use; PostgreSQL): the caller's transaction inserts the leaf into the queue and
  takes no lock, so concurrent callers commit in parallel (PostgreSQL's group commit shares their
  fsyncs); the leaf, its instant and the state change it records commit or roll back together (a
  rolled-back transaction leaves nothing queued). Right after the commit the leaf is integrated in a
  transaction of its own by the process's integration loop for the log (`sequencer.Sequencer`): one
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

Integration (`integrate`): see `reference.py`. A queued row whose
transaction commits after an integration read the queue (even with a smaller id) goes into the next
one: leaves are integrated in queue order among the rows committed when each integration starts.
On PostgreSQL with asyncpg the post-commit integration runs the same statements on the driver
directly (`adapters/asyncpg.py`).

Recovery: a queued leaf is durable once its caller committed. If the process dies before integrating
it, every later integration takes it (each takes the whole queue): the next `enqueue` or `append`
anywhere, `sign_checkpoint` (a checkpoint covers every leaf committed before it is signed) and
`integrate_pending` (which the services run at start-up).

SQLite: `enqueue` appends in the caller's transaction at once (`adapters/sqlite.py`).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from shared.translog import compact, rfc9162
from shared.translog.adapters import sqlite as sqlite_adapter
from shared.translog.adapters.asyncpg import AsyncpgAdapter
from shared.translog.adapters.asyncpg import applies as asyncpg_applies
from shared.translog.batch import Batch
from shared.translog.checkpoint import Checkpoint, sign_checkpoint
from shared.translog.note import Signer
from shared.translog.reference import BATCH, Reference, ReferenceStore, lookup
from shared.translog.rfc9162 import ProofError
from shared.translog.sequencer import ENQUEUED, Sequencer
from shared.translog.tables import (
    IndexRef,
    Leaf,
    StoredCheckpoint,
    TranslogTables,
    define_translog_tables,
    node_id,
    reference_name,
    table_column,
    utc,
)

__all__ = [
    "IndexRef",
    "Leaf",
    "StoredCheckpoint",
    "TranslogTables",
    "TransparencyLog",
    "define_translog_tables",
    "node_id",
]

logger = logging.getLogger("signif.translog")

#: Attempts of an integration that PostgreSQL aborted as a deadlock or serialisation failure.
_ATTEMPTS = 5
_RETRYABLE = {"40001", "40P01"}


#: Leaves per query of `leaves_at` and `inclusion_proofs` (a bundle's leaves in one query): with up to
#: 64 nodes per inclusion proof, 250 leaves need at most 16,000 parameters, half the drivers' limits
#: (32,767 on PostgreSQL, 32,766 on SQLite).
_PAR_LECTURE = 250


def _parts(indexes: Iterable[int]) -> list[list[int]]:
    wanted = sorted(set(indexes))
    return [wanted[i : i + _PAR_LECTURE] for i in range(0, len(wanted), _PAR_LECTURE)]


def _retryable(exc: DBAPIError | asyncpg.PostgresError) -> bool:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in _RETRYABLE


def _engine_of(session: AsyncSession) -> AsyncEngine:
    bind = session.bind
    if isinstance(bind, AsyncConnection):
        return bind.engine
    if isinstance(bind, AsyncEngine):
        return bind
    raise TypeError(f"expected a session bound to an async engine, got {bind!r}")


class TransparencyLog:
    """An append-only Merkle log over `tables`; every method runs in the caller's session.

    `references`: the business columns queued leaves may ask to receive their index (`IndexRef`).
    `wait_for_integration`: whether a transaction that queued leaves (`enqueue`) returns only once
    they are integrated (the default; see `enqueue`'s `wait`).
    `adapters`: whether the fast paths of `shared.translog.adapters` are used where they apply (the
    default); without them every read and write is the reference's (`reference.py`).
    """

    def __init__(
        self,
        tables: TranslogTables,
        references: Iterable[ColumnElement[Any]] = (),
        *,
        wait_for_integration: bool = True,
        adapters: bool = True,
    ) -> None:
        self.tables = tables
        self.wait_for_integration = wait_for_integration
        self.adapters = adapters
        self.name = tables.leaves.name.removesuffix("_leaves")
        known: dict[str, Reference] = {}
        for column in references:
            table, col = table_column(column)
            keys = list(table.primary_key.columns)
            if len(keys) != 1:
                raise ValueError(f"expected a one-column primary key on {table.name}")
            known[reference_name(col)] = Reference(table, keys[0], col)
        self._reference = ReferenceStore(tables, known, self.name)
        self._asyncpg = AsyncpgAdapter(self._reference)
        self._sequencers: weakref.WeakKeyDictionary[Engine, Sequencer] = weakref.WeakKeyDictionary()

    def sequencer(self, engine: AsyncEngine) -> Sequencer:
        """This process's post-commit integrator of this log on `engine`'s database."""
        sequencer = self._sequencers.get(engine.sync_engine)
        if sequencer is None:
            sequencer = self._sequencers[engine.sync_engine] = Sequencer(self)
        return sequencer

    def keeps_connection(self, engine: AsyncEngine) -> bool:
        """Whether the integration loop keeps one connection of `engine` (the asyncpg adapter)."""
        return self.adapters and asyncpg_applies(engine)

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
        created_at = utc(now)
        if self.adapters and sqlite_adapter.appends_at_enqueue(session):
            await self._append_now(session, list(zip(items, stored, strict=True)), created_at)
            return
        rows = [
            {"data": data, "created_at": created_at, "refs": r} for data, r in zip(items, stored, strict=True)
        ]
        await session.execute(
            self._reference.enqueue, rows[0] if len(rows) == 1 else rows
        )  # one: not executemany
        self._integrate_after_commit(session, wait)

    async def integrate(self, session: AsyncSession, *, limit: int | None = None) -> dict[int, int]:
        """Integrate the queue (at most `limit` rows) in the caller's transaction: {queue id: index}.

        Holds the head row lock until the caller's transaction ends.
        """
        size, frontier = await self._reference.head(session, lock=True)
        integrated, _ = await self._reference.integrate_queue(
            session, size, frontier, limit, self._store_for(session)
        )
        return integrated

    async def integrate_pending(
        self, engine: AsyncEngine, *, batch: int = BATCH, connection: AsyncConnection | None = None
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
        return await self._reference.has_pending(session)

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
        return await self._append_now(session, [(data, None) for data in items], utc(now))

    async def sign_checkpoint(self, session: AsyncSession, origin: str, signer: Signer, now: datetime) -> str:
        """Integrate the queue, sign the tree head as a C2SP checkpoint, store it and return the note.

        The checkpoint therefore covers every leaf whose transaction committed before it was signed.
        """
        await self.integrate(session)
        size, frontier = await self._reference.head(session, lock=False)
        checkpoint = Checkpoint(origin, size, compact.frontier_root(frontier))
        note = sign_checkpoint(checkpoint, signer)
        await self._reference.insert_checkpoint(session, size, checkpoint.root_hash, note, utc(now))
        return note

    # --- reads --------------------------------------------------------------------------------------

    async def size(self, session: AsyncSession) -> int:
        return (await self._reference.head(session, lock=False))[0]

    async def root(self, session: AsyncSession, size: int) -> bytes:
        """The root hash of the tree of `size` leaves (any size the log has reached)."""
        if size == 0:
            return rfc9162.EMPTY_ROOT
        hashes = await self._reference.fetch(session, rfc9162.root_nodes(size), size)
        return rfc9162.root_from_nodes(size, lookup(hashes))

    async def inclusion_proof(self, session: AsyncSession, index: int, size: int) -> list[bytes]:
        """The RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves."""
        hashes = await self._reference.fetch(session, rfc9162.inclusion_nodes(index, size), size)
        return rfc9162.inclusion_proof(index, size, lookup(hashes))

    async def inclusion_proofs(
        self, session: AsyncSession, indexes: Iterable[int], size: int
    ) -> dict[int, list[bytes]]:
        """`inclusion_proof` of several leaves in the tree of `size` leaves, from one query per
        `_PAR_LECTURE` leaves."""
        proofs: dict[int, list[bytes]] = {}
        for part in _parts(indexes):
            needed = {node for index in part for node in rfc9162.inclusion_nodes(index, size)}
            hashes = lookup(await self._reference.fetch(session, needed, size))
            proofs.update((index, rfc9162.inclusion_proof(index, size, hashes)) for index in part)
        return proofs

    async def consistency_proof(self, session: AsyncSession, old: int, new: int) -> list[bytes]:
        """The RFC 9162 consistency proof from the tree of `old` leaves to the tree of `new` leaves."""
        if old == 0:
            raise ProofError(
                f"expected an old size > 0 (a proof from the empty tree is meaningless), got {old}"
            )
        hashes = await self._reference.fetch(session, rfc9162.consistency_nodes(old, new), new)
        return rfc9162.consistency_proof(old, new, lookup(hashes))

    async def leaves(self, session: AsyncSession, start: int, end: int) -> list[Leaf]:
        """The leaves with index in [start, end), in order (fewer if the log is shorter)."""
        if not 0 <= start <= end:
            raise ProofError(f"expected 0 <= start <= end, got start={start} end={end}")
        return await self._reference.leaves(session, start, end)

    async def leaves_at(self, session: AsyncSession, indexes: Iterable[int]) -> list[Leaf]:
        """The leaves at these indexes, in index order, from one query per `_PAR_LECTURE` leaves;
        `ProofError` if the log holds no leaf at one of them (a bundle never leaves one out silently)."""
        wanted = sorted(set(indexes))
        found = [leaf for part in _parts(wanted) for leaf in await self._reference.leaves_at(session, part)]
        if len(found) != len(wanted):
            missing = sorted(set(wanted) - {leaf.index for leaf in found})
            raise ProofError(f"expected leaves at every index, the log has none at {missing[:5]}")
        return found

    async def latest_checkpoint(self, session: AsyncSession) -> StoredCheckpoint | None:
        """The stored checkpoint of the largest size (the most recent one among equals)."""
        return await self._reference.latest_checkpoint(session)

    # --- internals ----------------------------------------------------------------------------------

    def _store_for(self, session: AsyncSession) -> Any:
        """How this session writes a batch: the asyncpg adapter's one statement, or the reference's."""
        if self.adapters and session.get_bind().dialect.name == "postgresql":
            return self._asyncpg.store
        return self._reference.store

    def _integrate_after_commit(self, session: AsyncSession, wait: bool | None) -> None:
        """Have the commit request an integration (`sequencer` module's `after_commit` event), awaited
        by `Database.transaction` if any of the transaction's enqueues wants to wait."""
        wait = self.wait_for_integration if wait is None else wait
        enqueued = session.info.setdefault(ENQUEUED, {})
        previous = enqueued.get(id(self))
        enqueued[id(self)] = (self, _engine_of(session), wait or (previous is not None and previous[2]))

    async def _append_now(
        self,
        session: AsyncSession,
        items: Sequence[tuple[bytes, list[list[Any]] | None]],
        created_at: datetime,
    ) -> range:
        """Integrate the queue, then append `items` (data, stored refs) at once; the head stays locked."""
        store = self._store_for(session)
        size, frontier = await self._reference.head(session, lock=True)
        _, start = await self._reference.integrate_queue(session, size, frontier, None, store)
        if not items:
            return range(start, start)
        batch: Batch = self._reference.batch(
            start, frontier, [(data, created_at, refs) for data, refs in items]
        )
        await store(session, batch)
        return range(start, batch.size)

    def _refs(self, refs: Sequence[IndexRef]) -> list[list[Any]] | None:
        stored: list[list[Any]] = []
        for ref in refs:
            name = reference_name(ref.column)
            if name not in self._reference.references:
                raise ValueError(
                    f"expected one of the log's references {sorted(self._reference.references)}, got {name}"
                )
            stored.append([name, ref.key])
        return stored or None

    async def _integrate_batch(
        self, engine: AsyncEngine, batch: int, connection: AsyncConnection | None
    ) -> int:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                if self.keeps_connection(engine):
                    if connection is not None:
                        return await self._asyncpg.integrate_batch(engine, connection, batch)
                    async with engine.connect() as conn:
                        return await self._asyncpg.integrate_batch(engine, conn, batch)
                store = self._asyncpg.store if self.adapters and engine.dialect.name == "postgresql" else None
                return await self._reference.integrate_batch(engine, batch, store or self._reference.store)
            except (DBAPIError, asyncpg.PostgresError) as exc:
                if attempt == _ATTEMPTS or not _retryable(exc):
                    raise
                logger.warning("translog integration retried", extra={"log": self.name, "attempt": attempt})
        raise AssertionError("unreachable")  # pragma: no cover
