"""SQL of the operator's queues (never commits; each query scoped by what the operator asks for)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.models import Declaration, Version


async def file_declarations(
    session: AsyncSession, *, statut: str, apres: tuple[datetime, str] | None, limite: int
) -> Sequence[Declaration]:
    """Up to `limite` declarations of `statut` after the position `apres`, in (declaree_le, id) order."""
    stmt = select(Declaration).where(Declaration.statut == statut)
    if apres is not None:
        stmt = stmt.where(tuple_(Declaration.declaree_le, Declaration.id) > tuple_(*apres))
    stmt = stmt.order_by(Declaration.declaree_le, Declaration.id).limit(limite)
    return (await session.execute(stmt)).scalars().all()


async def file_rectifications(
    session: AsyncSession, *, examen: str, apres: tuple[datetime, int] | None, limite: int
) -> list[tuple[Version, str]]:
    """Up to `limite` versions under `examen` after `apres`, in (soumise_le, id) order, each with its
    declaration's registration number."""
    stmt = (
        select(Version, Declaration.numero)
        .join(Declaration, Declaration.id == Version.declaration_id)
        .where(Version.examen == examen)
    )
    if apres is not None:
        stmt = stmt.where(tuple_(Version.soumise_le, Version.id) > tuple_(*apres))
    stmt = stmt.order_by(Version.soumise_le, Version.id).limit(limite)
    return [(version, numero) for version, numero in (await session.execute(stmt)).all()]
