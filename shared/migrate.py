"""Alembic, driven from code: each service owns `services/<name>/migrations/`.

There is no alembic.ini: `alembic_config(service)` builds the configuration, and the service's
`env.py` calls `run_env(metadata)`, which runs on the connection handed over in
`config.attributes["connection"]` (so migrations work on the async engines we already use).
Revision files use dated slugs: `2026-11-23-1410_create_acte.py`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command, context, op
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, text

from shared.db import make_engine
from shared.models import UtcDateTime

FILE_TEMPLATE = "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s"


def alembic_config(service: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", f"services.{service}:migrations")
    cfg.set_main_option("file_template", FILE_TEMPLATE)
    cfg.set_main_option("truncate_slug_length", "40")
    return cfg


def run_env(metadata: MetaData) -> None:
    """Body of every service's env.py."""
    connection: Connection | None = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through shared.migrate (signif migrate), not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


#: PostgreSQL advisory lock key held by `upgrade` for its transaction ("signif-migrate" in ASCII).
_MIGRATION_LOCK = int.from_bytes(b"sigmigr", "big")


async def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Apply `service`'s migrations up to `revision`, in one transaction.

    Safe when several processes migrate one database at once (`signif migrate` beside services and
    workers starting): on PostgreSQL the transaction first takes an advisory lock, on SQLite it
    begins IMMEDIATE (`shared.db`), so the others wait, then find the revision applied.
    """
    cfg = alembic_config(service)
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})

            def _run(sync_conn: Connection) -> None:
                cfg.attributes["connection"] = sync_conn
                command.upgrade(cfg, revision)

            await conn.run_sync(_run)
    finally:
        await engine.dispose()


async def pending_differences(url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would still change: empty when models and migrations agree."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def _diff(sync_conn: Connection) -> list[Any]:
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(ctx, metadata))

            return await conn.run_sync(_diff)
    finally:
        await engine.dispose()


async def autogenerate_revision(service: str, url: str, message: str) -> None:
    """Developer helper (make migration): write a new revision from the models' differences."""
    cfg = alembic_config(service)
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:

            def _run(sync_conn: Connection) -> None:
                cfg.attributes["connection"] = sync_conn
                command.upgrade(cfg, "head")
                command.revision(cfg, message=message, autogenerate=True)

            await conn.run_sync(_run)
    finally:
        await engine.dispose()


# --- Shared tables: one definition of each step, called by every service's migration ---------------
#
# The jobs, outbox and log-queue tables are the same in every service (`shared.jobs.define_job_tables`,
# `shared.translog.store.define_translog_tables`). Their migration steps are written once here and each
# service's revision calls them, so a change to a shared table is made once: a new step function
# below (never an edit of an existing one: a step is history, applied databases depend on it), then a
# one-line revision per service that calls it. `tests/shared/test_migrations.py` checks that each
# service's migrated schema equals its models, shared tables included.


def create_job_tables() -> None:
    """Step 1 of the shared tables: `jobs` (with its due index) and `outbox`."""
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("run_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("unique_key", sa.String(length=200), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("unique_key", name=op.f("uq_jobs_unique_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_due", ["status", "run_at"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("donnees", sa.JSON(), nullable=False),
        sa.Column("cree_le", UtcDateTime(timezone=True), nullable=False),
        sa.Column("relaye_le", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )


def drop_job_tables() -> None:
    """Undo `create_job_tables`."""
    op.drop_table("outbox")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_due")
    op.drop_table("jobs")


def create_log_queue(prefix: str = "journal") -> None:
    """The queue in front of a transparency log (`<prefix>_pending`, see `shared.translog.store`)."""
    op.create_table(
        f"{prefix}_pending",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refs", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{prefix}_pending")),
    )


def drop_log_queue(prefix: str = "journal") -> None:
    """Undo `create_log_queue`."""
    op.drop_table(f"{prefix}_pending")
