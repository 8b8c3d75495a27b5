"""SQLite: a queued leaf is appended in the caller's transaction at once.

SQLite writers are already serialised by `BEGIN IMMEDIATE` (`shared.db`), so the caller's transaction
holds the database's only write lock: a queue would only add a second commit and a second
transaction per leaf. `TransparencyLog.enqueue` therefore appends at once on SQLite (integrating the
queue first and setting the refs there); the queue stays empty and the rows written are the
reference's. With `adapters=False` the leaf goes through the queue and is integrated after the commit,
as on PostgreSQL — which is what the property tests compare this shortcut against.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


def appends_at_enqueue(session: AsyncSession) -> bool:
    """Whether the caller's transaction holds the database's only write lock (SQLite)."""
    return session.get_bind().dialect.name == "sqlite"
