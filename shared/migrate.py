"""Alembic, driven from code: each service owns `services/<name>/migrations/`.

There is no alembic.ini: `alembic_config(service)` builds the configuration, and the service's
`env.py` calls `run_env(metadata)`, which runs on the connection handed over in
`config.attributes["connection"]` (so migrations work on the async engines we already use).
Revision files use dated slugs: `2026-11-23-1410_create_acte.py`.
"""

from __future__ import annotations

from typing import Any

from alembic import command, context
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, text

from shared.db import make_engine

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
