"""Events' SQL: by id (intake), and an office's feed scoped by its id. Never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.models import Evenement


async def par_id(session: AsyncSession, evenement_id: str) -> Evenement | None:
    return await session.scalar(select(Evenement).where(Evenement.id == evenement_id))


def ajouter(session: AsyncSession, evenement: Evenement) -> None:
    session.add(evenement)


async def flux_de_l_office(
    session: AsyncSession, *, office_id: str, apres: int, limite: int
) -> Sequence[Evenement]:
    """The office's events after number `apres`, oldest first."""
    query = (
        select(Evenement)
        .where(Evenement.office_id == office_id, Evenement.numero > apres)
        .order_by(Evenement.numero)
        .limit(limite)
    )
    return (await session.scalars(query)).all()
