"""Benchmark of the SQL-backed transparency log (`shared/translog/store.py`).

For each engine (PostgreSQL, SQLite), on a throw-away database opened with `shared.db.Database` (the
services' engine settings and transactions):

1. bulk-load `--leaves` leaves with `append_many` in batches (one transaction per batch);
2. inclusion and consistency proof latency (p50/p99) at that size, for random leaves, against two
   baselines measured in the same run: one primary-key SELECT of a leaf (the database's floor) and
   the same proofs computed in memory from a Python list of every node hash;
3. appends/s the way the services append: one `Database.transaction()` per leaf that queues it
   (`enqueue`), commits, and returns once the leaf is integrated (the coalesced integration after the
   commit) — with 1 writer and, on PostgreSQL, each of `--writers` concurrent writers; beside
   `enqueue(..., wait=False)` (the block returns after the commit; the clock stops when the last leaf
   is integrated), the in-transaction `append` (head row locked until commit: the proof-bearing
   callers' path) and raw INSERTs of the same rows into a plain table with no Merkle work (the
   commit-bound ceiling). Every queued leaf is checked integrated (gap-free, nothing left queued)
   after each round; each line gives the bench process's CPU time per leaf.

Every proof is verified with `rfc9162.verify_*`; timings are printed, never asserted.

    .venv/bin/python bench/journal/run.py --leaves 100000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import BigInteger, Column, DateTime, LargeBinary, MetaData, Table, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.db import Database
from shared.translog import rfc9162
from shared.translog.store import TranslogTables, TransparencyLog, define_translog_tables

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def leaf_data(i: int) -> bytes:
    """A leaf shaped like the répertoire's: an event naming an acte by id and document hash (~130 B)."""
    digest = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
    return f'{{"type":"acte.envoye","acte":"{i:012d}","sha256":"{digest}"}}'.encode()


@asynccontextmanager
async def temporary_postgres(admin_url: str) -> AsyncIterator[str]:
    """Create a throw-away PostgreSQL database, yield its URL, drop it afterwards."""
    name = f"signif_bench_{secrets.token_hex(4)}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def postgres_reachable(admin_url: str) -> bool:
    engine = create_async_engine(admin_url, connect_args={"timeout": 3})
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (OSError, DBAPIError, TimeoutError):
        return False
    finally:
        await engine.dispose()
    return True


@asynccontextmanager
async def database(engine_name: str, admin_url: str) -> AsyncIterator[Database]:
    """A throw-away database through `shared.db.Database`: the services' engine settings (SQLite: WAL,
    `synchronous=FULL`, `BEGIN IMMEDIATE`) and their transactions (which wait for the integration)."""
    if engine_name == "postgresql":
        async with temporary_postgres(admin_url) as url:
            db = Database(url, pool_size=40, max_overflow=0)
            try:
                yield db
            finally:
                await db.dispose()
        return
    with tempfile.TemporaryDirectory() as directory:
        db = Database(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
        try:
            yield db
        finally:
            await db.dispose()


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1e3:7.3f} ms   p99 {cuts[98] * 1e3:7.3f} ms   max {max(samples) * 1e3:7.3f} ms"


async def timed(call: Callable[[int], Awaitable[object]], args: Iterable[int]) -> list[float]:
    samples = []
    for arg in args:
        start = time.perf_counter()
        await call(arg)
        samples.append(time.perf_counter() - start)
    return samples


async def bulk_load(
    sessions: async_sessionmaker[AsyncSession], log: TransparencyLog, leaves: int, batch: int
) -> list[bytes]:
    hashes: list[bytes] = []
    start = time.perf_counter()
    for first in range(0, leaves, batch):
        items = [leaf_data(i) for i in range(first, min(first + batch, leaves))]
        async with sessions.begin() as session:
            await log.append_many(session, items, now=NOW)
        hashes.extend(rfc9162.leaf_hash(d) for d in items)
    elapsed = time.perf_counter() - start
    rate = leaves / elapsed
    print(
        f"  bulk load        {leaves:>9} leaves in {elapsed:6.1f} s  = {rate:9.0f} leaves/s (batch {batch})"
    )
    return hashes


async def proofs(
    sessions: async_sessionmaker[AsyncSession],
    log: TransparencyLog,
    tables: TranslogTables,
    hashes: list[bytes],
    count: int,
) -> None:
    size = len(hashes)
    rng = random.Random(9162)
    indexes = [rng.randrange(size) for _ in range(count)]
    olds = [rng.randrange(1, size) for _ in range(count)]
    start = time.perf_counter()
    levels = rfc9162.complete_subtree_levels(hashes)
    print(f"  in-memory tree   built in {time.perf_counter() - start:6.2f} s (baseline below)")

    def node(level: int, index: int) -> bytes:
        return levels[level][index]

    root = rfc9162.root_from_nodes(size, node)
    async with sessions.begin() as session:
        assert await log.root(session, size) == root
        t = tables.leaves

        async def lookup(i: int) -> None:
            await session.execute(select(t.c.leaf_hash).where(t.c.leaf_index == i))

        lookups = await timed(lookup, indexes)
        results: list[list[bytes]] = []

        async def inclusion(i: int) -> None:
            results.append(await log.inclusion_proof(session, i, size))

        inclusions = await timed(inclusion, indexes)
        consistency_results: list[list[bytes]] = []

        async def consistency(old: int) -> None:
            consistency_results.append(await log.consistency_proof(session, old, size))

        consistencies = await timed(consistency, olds)
    memory = []
    for i in indexes:
        start = time.perf_counter()
        rfc9162.inclusion_proof(i, size, node)
        memory.append(time.perf_counter() - start)
    for i, proof in zip(indexes, results, strict=True):
        rfc9162.verify_inclusion(hashes[i], i, size, proof, root)
    for old, proof in zip(olds, consistency_results, strict=True):
        rfc9162.verify_consistency(old, size, proof, rfc9162.root_from_nodes(old, node), root)
    print(
        f"  inclusion proof  {percentiles(inclusions)}   (size {size}, {count} random leaves, all verified)"
    )
    print(f"  consistency      {percentiles(consistencies)}   (random old size -> {size}, all verified)")
    print(f"  baseline PK read {percentiles(lookups)}   (one SELECT of a leaf by index)")
    print(f"  baseline memory  {percentiles(memory)}   (same inclusion proofs from a Python list)")


class CountingLog(TransparencyLog):
    """The store, counting the post-commit integrations that found leaves to integrate."""

    integrations = 0

    async def integrate_pending(
        self, engine: AsyncEngine, *, batch: int = 1000, connection: AsyncConnection | None = None
    ) -> int:
        integrated = await super().integrate_pending(engine, batch=batch, connection=connection)
        self.integrations += -(-integrated // batch)  # transactions of at most `batch` leaves
        return integrated


async def appends(db: Database, log: CountingLog, count: int, writers: list[int], first: int) -> None:
    raw = Table(
        "bench_raw_leaves",
        MetaData(),
        Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
        Column("leaf_hash", LargeBinary(32), nullable=False),
        Column("data", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    async with db.engine.begin() as conn:
        await conn.run_sync(raw.metadata.create_all)
    counter = itertools.count(first)

    async def queued(_: int) -> None:
        async with db.transaction() as session:  # returns once the leaf is integrated
            await log.enqueue(session, leaf_data(next(counter)), now=NOW)

    async def queued_no_wait(_: int) -> None:
        async with db.transaction() as session:  # returns after the commit; integrated in the background
            await log.enqueue(session, leaf_data(next(counter)), now=NOW, wait=False)

    async def in_transaction(_: int) -> None:
        async with db.transaction() as session:
            await log.append(session, leaf_data(next(counter)), now=NOW)

    async def raw_insert(_: int) -> None:
        i = next(counter)
        data = leaf_data(i)
        async with db.transaction() as session:
            await session.execute(
                insert(raw).values(leaf_index=i, leaf_hash=rfc9162.leaf_hash(data), data=data, created_at=NOW)
            )

    paths: list[tuple[str, Callable[[int], Awaitable[None]]]] = [
        ("enqueue (services)", queued),
        ("enqueue, no wait", queued_no_wait),
        ("append (in tx)", in_transaction),
        ("baseline INSERT", raw_insert),
    ]
    for n in [1, *writers]:
        per_writer = count // n
        for label, action in paths:
            size, integrations = await _state(db, log), log.integrations
            start, cpu = time.perf_counter(), time.process_time()
            samples = await asyncio.gather(*(timed(action, range(per_writer)) for _ in range(n)))
            if action is queued_no_wait:
                await log.integrated(db.engine)  # the clock stops when the last leaf is integrated
            rate = per_writer * n / (time.perf_counter() - start)
            cpu_ms = (time.process_time() - cpu) / (per_writer * n) * 1e3
            latencies = [x for s in samples for x in s]
            note = "(one transaction each)"
            if action is queued or action is queued_no_wait:
                grown = await _state(db, log) - size
                if grown != per_writer * n:
                    raise AssertionError(f"expected {per_writer * n} leaves integrated, got {grown}")
                ran = log.integrations - integrations
                note = (
                    f"({grown / ran:4.1f} leaves per integration)"
                    if ran
                    else "(SQLite: appended in the caller's transaction)"
                )
            who = f"{n} writer{'s' if n > 1 else ''}"
            print(
                f"  {label:<18} {rate:7.0f} /s, {who:<10} {percentiles(latencies)}"
                f"   client CPU {cpu_ms:5.3f} ms/leaf   {note}"
            )


async def _state(db: Database, log: TransparencyLog) -> int:
    """The log's size, checking nothing is left in the queue."""
    async with db.transaction() as session:
        if await log.has_pending(session):
            raise AssertionError("leaves left in the queue")
        return await log.size(session)


async def storage(engine: AsyncEngine, tables: TranslogTables) -> None:
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        for table in (tables.leaves, tables.nodes, tables.pending):
            size = (await conn.execute(text(f"SELECT pg_total_relation_size('{table.name}')"))).scalar_one()
            print(f"  {table.name:<16} {size / 2**20:9.1f} MiB (table + indexes)")


async def run_engine(engine_name: str, args: argparse.Namespace) -> None:
    print(f"\n== {engine_name} ==")
    async with database(engine_name, args.pg_admin_url) as db:
        metadata = MetaData()
        tables = define_translog_tables(metadata)
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        log = CountingLog(tables)
        hashes = await bulk_load(db.sessionmaker, log, args.leaves, args.batch)
        await proofs(db.sessionmaker, log, tables, hashes, args.proofs)
        writers = args.writers if engine_name == "postgresql" else []
        await appends(db, log, args.appends, writers, args.leaves)
        await storage(db.engine, tables)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaves", type=int, default=1_000_000, help="log size for the proof latency")
    parser.add_argument("--batch", type=int, default=10_000, help="leaves per bulk-load transaction")
    parser.add_argument("--proofs", type=int, default=1_000, help="proofs timed per kind")
    parser.add_argument("--appends", type=int, default=2_000, help="single-leaf appends timed per round")
    parser.add_argument(
        "--writers", type=int, nargs="*", default=[8], help="concurrent writers, besides 1 (PostgreSQL)"
    )
    parser.add_argument(
        "--engines", nargs="+", default=["postgresql", "sqlite"], choices=["postgresql", "sqlite"]
    )
    parser.add_argument(
        "--pg-admin-url", default=PG_ADMIN_URL, help="PostgreSQL URL allowed to CREATE DATABASE"
    )
    args = parser.parse_args()
    if args.leaves < 2:
        parser.error("--leaves must be at least 2")
    print(f"translog bench: {args.leaves} leaves, {args.proofs} proofs, {args.appends} appends")
    for engine_name in args.engines:
        if engine_name == "postgresql" and not await postgres_reachable(args.pg_admin_url):
            print("\n== postgresql == not reachable on 127.0.0.1:5432, skipped")
            continue
        await run_engine(engine_name, args)


if __name__ == "__main__":
    asyncio.run(main())
