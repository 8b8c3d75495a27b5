"""SQL of the judicial authority's searches (never commits; each query scoped by the search's target)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.models import Declaration


async def par_identite(session: AsyncSession, identite_index: str) -> Sequence[Declaration]:
    """Every declaration kept of the person with this identity index, oldest first."""
    stmt = select(Declaration).where(Declaration.identite_index == identite_index)
    return (await session.execute(stmt.order_by(Declaration.declaree_le))).scalars().all()


async def par_id(session: AsyncSession, declaration_id: str) -> Sequence[Declaration]:
    """The declaration of this id, if still kept (none or one)."""
    stmt = select(Declaration).where(Declaration.id == declaration_id)
    return (await session.execute(stmt.order_by(Declaration.declaree_le))).scalars().all()
