"""Scheduling: `enqueue` a job and `emit_event` (an outbox row and its relay job) in the caller's
transaction, and the commit hooks that wake the runners: this process's at once, other processes'
through PostgreSQL NOTIFY sent in the committing transaction.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.db import Database
from shared.jobs.tables import JobTables, jobs_channel

RELAY_KIND = "outbox.relayer"


class Wakeable(Protocol):
    def wake(self) -> None: ...


async def enqueue(
    session: AsyncSession,
    tables: JobTables,
    kind: str,
    payload: Mapping[str, Any],
    *,
    run_at: datetime,
    now: datetime,
    unique_key: str | None = None,
    max_attempts: int = 10,
) -> None:
    """Schedule a job in the caller's transaction; a duplicate `unique_key` is silently kept once,
    atomically (`ON CONFLICT DO NOTHING`: two processes scheduling the same job at once both succeed).

    When that transaction commits, the runners of the same database in this process wake up; on
    PostgreSQL, a job due now also wakes other processes' runners (NOTIFY, sent at commit)."""
    values = {
        "kind": kind,
        "payload": dict(payload),
        "run_at": run_at,
        "status": "pending",
        "attempts": 0,
        "max_attempts": max_attempts,
        "unique_key": unique_key,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    if unique_key is not None and dialect in ("postgresql", "sqlite"):
        variant = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = variant(tables.jobs).values(values).on_conflict_do_nothing(index_elements=["unique_key"])
        await session.execute(stmt)
    else:
        await session.execute(insert(tables.jobs).values(values))
    session.info[_ENQUEUED] = True
    if dialect == "postgresql" and run_at <= now:  # later ones are found by polling when due
        session.info.setdefault(_NOTIFY, set()).add(jobs_channel(tables.jobs))


async def emit_event(
    session: AsyncSession, tables: JobTables, type_: str, donnees: Mapping[str, Any], *, now: datetime
) -> str:
    """Write an outbox event and its relay job in the caller's transaction; returns the event id."""
    event_id = str(uuid.uuid4())
    await session.execute(
        insert(tables.outbox).values(id=event_id, type=type_, donnees=dict(donnees), cree_le=now)
    )
    # The relay job carries a copy of the event, so relaying needs no read before its HTTP call.
    copie = {"type": type_, "donnees": dict(donnees), "cree_le": now.isoformat()}
    await enqueue(
        session,
        tables,
        RELAY_KIND,
        {"event_id": event_id, "evenement": copie},
        run_at=now,
        now=now,
        max_attempts=30,
    )
    return event_id


# --- waking the runners of a database after a commit that enqueued -------------------------------

_ENQUEUED = "signif.jobs.enqueued"
_NOTIFY = "signif.jobs.notify"
_RUNNERS: weakref.WeakKeyDictionary[Engine, weakref.WeakSet[Wakeable]] = weakref.WeakKeyDictionary()


def register_runner(db: Database, runner: Wakeable) -> None:
    """Have commits on `db` that enqueued a job wake `runner` (held weakly)."""
    runners_of(db).add(runner)


def runners_of(db: Database) -> weakref.WeakSet[Wakeable]:
    return _RUNNERS.setdefault(db.engine.sync_engine, weakref.WeakSet())


@sa_event.listens_for(Session, "after_commit")
def _wake_runners(session: Session) -> None:
    if not session.info.pop(_ENQUEUED, False):
        return
    bind = session.bind
    engine = bind.engine if isinstance(bind, Connection) else bind
    if isinstance(engine, Engine):
        for runner in list(_RUNNERS.get(engine, ())):
            runner.wake()


@sa_event.listens_for(Session, "before_commit")
def _notify_other_processes(session: Session) -> None:
    """PostgreSQL: NOTIFY in the committing transaction, so it is delivered only if it commits (and
    once per channel, however many jobs it enqueued)."""
    channels: set[str] | None = session.info.pop(_NOTIFY, None)
    for channel in sorted(channels or ()):
        session.execute(select(func.pg_notify(channel, "")))


@sa_event.listens_for(Session, "after_rollback")
def _forget_enqueued(session: Session) -> None:
    session.info.pop(_ENQUEUED, None)
    session.info.pop(_NOTIFY, None)
