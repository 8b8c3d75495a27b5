"""The outbox and jobs tables, their PostgreSQL NOTIFY channel, and a count for tests and metrics."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import UtcDateTime


@dataclass(frozen=True)
class JobTables:
    outbox: Table
    jobs: Table


def define_job_tables(metadata: MetaData) -> JobTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("type", String(64), nullable=False),
        Column("donnees", JSON, nullable=False),
        Column("cree_le", UtcDateTime(), nullable=False),
        Column("relaye_le", UtcDateTime(), nullable=True),
    )
    jobs = Table(
        "jobs",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("kind", String(64), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("run_at", UtcDateTime(), nullable=False),
        Column("status", String(16), nullable=False, default="pending"),
        Column("attempts", Integer, nullable=False, default=0),
        Column("max_attempts", Integer, nullable=False, default=10),
        Column("unique_key", String(200), nullable=True, unique=True),
        Column("locked_by", String(64), nullable=True),
        Column("lease_until", Integer, nullable=True),  # wall-clock epoch seconds
        Column("last_error", Text, nullable=True),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("finished_at", UtcDateTime(), nullable=True),
        Index("ix_jobs_due", "status", "run_at"),
    )
    return JobTables(outbox=outbox, jobs=jobs)


def jobs_channel(jobs: Table) -> str:
    """The PostgreSQL NOTIFY/LISTEN channel of a jobs table: a lowercase identifier of at most 63
    bytes (`signif_jobs` for the services' `jobs` table; the schema is part of it when set)."""
    name = f"{jobs.schema}.{jobs.name}" if jobs.schema else jobs.name
    channel = "signif_" + re.sub(r"[^a-z0-9_]", "_", name.lower())
    if len(channel) > 63:
        channel = channel[:50] + "_" + hashlib.sha256(name.encode()).hexdigest()[:12]
    return channel


async def count_jobs(session: AsyncSession, tables: JobTables, *, status: str | None = None) -> int:
    query = select(func.count()).select_from(tables.jobs)
    if status is not None:
        query = query.where(tables.jobs.c.status == status)
    return int(await session.scalar(query) or 0)
