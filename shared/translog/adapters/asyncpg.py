"""PostgreSQL on asyncpg: what bench/journal made fast, kept apart from the reference it must match.

Two writes of `ReferenceStore` are replaced:

- `store`: the batch's leaves, nodes, refs and head in one statement (one round trip whatever the batch
  size): data-modifying CTEs over `unnest` of array parameters, so the statement text, prepared once,
  does not vary with the batch.
- `integrate_batch`: the post-commit integration on the driver directly, without SQLAlchemy's session
  and result machinery (about 1 ms of client CPU per integration, several times the database's work),
  in four round trips instead of five: BEGIN with the head row lock, the queue taken with the head's
  values, the write, COMMIT; on one connection the integration loop keeps while commits keep coming.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import asyncpg
from sqlalchemy import BigInteger, DateTime, LargeBinary, bindparam, cast, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine

from shared.translog import compact
from shared.translog.batch import Batch
from shared.translog.reference import ReferenceStore
from shared.translog.tables import HEAD_ID, as_utc

logger = logging.getLogger("signif.translog")


def applies(engine: AsyncEngine) -> bool:
    return engine.dialect.driver == "asyncpg"


class AsyncpgAdapter:
    """The PostgreSQL fast paths for one log (`reference` gives its tables and statements)."""

    def __init__(self, reference: ReferenceStore) -> None:
        self.reference = reference
        self._writes: dict[tuple[str, ...], Executable] = {}
        # statement -> (statement, SQL, parameter names in order, constant parameters).
        self._sql: dict[int, tuple[Executable, str, list[str], dict[str, Any]]] = {}
        self._lock: str | None = None  # rendered when first used (it needs the engine's dialect)
        self._create_head = (
            pg_insert(reference.tables.head).values(id=HEAD_ID, size=0, frontier=b"").on_conflict_do_nothing()
        )

    async def store(self, session: AsyncSession, batch: Batch) -> None:
        """`ReferenceStore.store` in one statement."""
        names, params = self._params(batch)
        await session.execute(self._write(names), params)

    async def integrate_batch(self, engine: AsyncEngine, conn: AsyncConnection, limit: int) -> int:
        """`ReferenceStore.integrate_batch` on `conn`'s asyncpg driver; returns how many leaves."""
        raw = (await conn.get_raw_connection()).driver_connection
        if not isinstance(raw, asyncpg.Connection):  # pragma: no cover - asyncpg's own pool proxies
            raise TypeError(f"expected an asyncpg connection, got {raw!r}")
        ref = self.reference
        # The head row is locked by its own statement, before the take's statement starts: at READ
        # COMMITTED the take's snapshot is then taken after the previous integrator committed.
        # Custom plans only: asyncpg keeps each statement prepared on the kept connection, and a generic
        # plan made while the queue and the reference tables were small (hash join over a sequential
        # scan of the consultations) stayed cached while they grew: 5 ms per integration after 15,000
        # consultations, the service's p99 up 60 % within a minute (bench/purge's control run).
        if self._lock is None:
            lock = ref.read_head_for_update.compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}
            )
            self._lock = f"BEGIN; SET LOCAL plan_cache_mode = force_custom_plan; {lock}"
        try:
            locked = await raw.execute(self._lock)  # the last command's status: "SELECT <rows>"
            if locked != "SELECT 1":  # no head row yet: the first integration creates it
                await raw.execute(*self._args(engine, self._create_head, {}))
                await raw.execute(*self._args(engine, ref.read_head_for_update, {}))
            taken = await raw.fetch(*self._args(engine, ref.take_with_head, {"take": limit}))
            head = next(row for row in taken if row[0] is not None)
            rows = sorted((row for row in taken if row[0] is None), key=lambda row: int(row[2]))
            if rows:
                size = int(head[0])
                entries = [
                    (data, as_utc(created_at), json.loads(refs) if isinstance(refs, str) else refs)
                    for _, _, _, data, created_at, refs in rows
                ]
                write = ref.batch(size, compact.unpack(head[1], size), entries)
                names, params = self._params(write)
                await raw.execute(*self._args(engine, self._write(names), params))
            await raw.execute("COMMIT")
        except BaseException:
            await _rollback(raw, conn)
            raise
        return len(rows)

    def _args(self, engine: AsyncEngine, statement: Executable, params: dict[str, Any]) -> list[Any]:
        """The SQL text of one of the log's statements for asyncpg (compiled once), then its arguments."""
        compiled = self._sql.get(id(statement))
        if compiled is None or compiled[0] is not statement:
            sql = statement.compile(dialect=engine.dialect) if isinstance(statement, ClauseElement) else None
            if not isinstance(sql, SQLCompiler):  # pragma: no cover - the log's statements are SQL
                raise TypeError(f"expected a SQL statement, got {statement!r}")
            compiled = (statement, str(sql), list(sql.positiontup or []), sql.params)
            self._sql[id(statement)] = compiled
        _, text, names, constants = compiled
        return [text, *(params[name] if name in params else constants[name] for name in names)]

    def _params(self, batch: Batch) -> tuple[tuple[str, ...], dict[str, Any]]:
        """The refs' column names (which statement) and the parameters of `_write`."""
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

    def _write(self, names: tuple[str, ...]) -> Executable:
        statement = self._writes.get(names)
        if statement is not None:
            return statement

        def arrays(*columns: tuple[str, TypeEngine[Any]]) -> TableValuedAlias:
            """`unnest(CAST(:a AS t[]), ...)` as a table with one column per parameter."""
            args = [cast(bindparam(name, type_=ARRAY(type_)), ARRAY(type_)) for name, type_ in columns]
            return func.unnest(*args).table_valued(*(name for name, _ in columns)).render_derived()

        t = self.reference.tables
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
            ref = self.reference.references[name]
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
            .where(head.c.id == HEAD_ID)
            .values(
                size=bindparam("size", type_=BigInteger), frontier=bindparam("frontier", type_=LargeBinary)
            )
            .add_cte(*ctes)
        )
        self._writes[names] = statement
        return statement


async def _rollback(raw: asyncpg.Connection, conn: AsyncConnection) -> None:
    """End a failed asyncpg integration's transaction, or have the pool drop the connection."""
    try:
        if not raw.is_closed():
            await raw.execute("ROLLBACK")
            return
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        logger.exception("translog integration not rolled back")
    await conn.invalidate()
