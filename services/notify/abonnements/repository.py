"""Subscriptions' SQL. Every query is scoped by the caller's office; never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.models import Abonnement


async def ajouter(session: AsyncSession, abonnement: Abonnement) -> None:
    session.add(abonnement)
    await session.flush()


async def page_de_l_office(
    session: AsyncSession, *, office_id: str, apres: int, limite: int
) -> Sequence[Abonnement]:
    """The office's subscriptions (deleted ones aside) in creation order, from row `apres` on."""
    # Subscriptions have UUID ids: paginate on (cree_le, id) through the row offset encoded in apres.
    query = (
        select(Abonnement)
        .where(Abonnement.office_id == office_id, Abonnement.statut != "supprime")
        .order_by(Abonnement.cree_le, Abonnement.id)
        .offset(apres)
        .limit(limite)
    )
    return (await session.scalars(query)).all()


async def de_l_office(session: AsyncSession, *, office_id: str, abonnement_id: str) -> Abonnement | None:
    """One subscription of the office, unless deleted."""
    return await session.scalar(
        select(Abonnement).where(
            Abonnement.id == abonnement_id,
            Abonnement.office_id == office_id,
            Abonnement.statut != "supprime",
        )
    )


async def actifs_de_l_office(session: AsyncSession, *, office_id: str) -> Sequence[Abonnement]:
    """The office's active subscriptions, in creation order."""
    rows = await session.scalars(
        select(Abonnement)
        .where(Abonnement.office_id == office_id, Abonnement.statut == "actif")
        .order_by(Abonnement.cree_le, Abonnement.id)
    )
    return rows.all()
