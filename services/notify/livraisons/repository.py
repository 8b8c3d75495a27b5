"""Deliveries' SQL: the office's listing scoped by its id, the job's reads and writes by delivery id.

Never commits. The listing reads the page's attempts in one query (no query per delivery).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.models import Abonnement, Evenement, Livraison, TentativeLivraison


async def ajouter(session: AsyncSession, livraison: Livraison) -> None:
    session.add(livraison)
    await session.flush()


async def avec_evenement_et_abonnement(
    session: AsyncSession, livraison_id: str
) -> tuple[Livraison, Evenement, Abonnement] | None:
    """What one attempt needs, in one query."""
    row = (
        await session.execute(
            select(Livraison, Evenement, Abonnement)
            .join(Evenement, Evenement.id == Livraison.evenement_id)
            .join(Abonnement, Abonnement.id == Livraison.abonnement_id)
            .where(Livraison.id == livraison_id)
        )
    ).one_or_none()
    if row is None:
        return None
    livraison, evenement, abonnement = row
    return livraison, evenement, abonnement


async def abandonner_si_en_attente(session: AsyncSession, livraison_id: str) -> None:
    await session.execute(
        update(Livraison)
        .where(Livraison.id == livraison_id, Livraison.statut == "en_attente")
        .values(statut="abandonnee", prochaine_tentative_le=None)
    )


async def par_numero(session: AsyncSession, numero: int) -> Livraison:
    return await session.get_one(Livraison, numero)


def ajouter_tentative(session: AsyncSession, tentative: TentativeLivraison) -> None:
    session.add(tentative)


async def desactiver_abonnement(session: AsyncSession, abonnement_id: str, *, now: datetime) -> None:
    """410 Gone: the subscription stops (if still active)."""
    await session.execute(
        update(Abonnement)
        .where(Abonnement.id == abonnement_id, Abonnement.statut == "actif")
        .values(statut="desactive", desactive_le=now)
    )


async def page_de_l_office(
    session: AsyncSession, *, office_id: str, statut: str | None, apres: int, limite: int
) -> list[tuple[Livraison, Evenement, list[TentativeLivraison]]]:
    """The office's deliveries after `apres` (their number), each with its event and its attempts."""
    query = (
        select(Livraison, Evenement)
        .join(Evenement, Evenement.id == Livraison.evenement_id)
        .where(Livraison.office_id == office_id, Livraison.numero > apres)
        .order_by(Livraison.numero)
        .limit(limite)
    )
    if statut is not None:
        query = query.where(Livraison.statut == statut)
    rows = [(livraison, evenement) for livraison, evenement in (await session.execute(query)).all()]
    ids = [livraison.id for livraison, _ in rows]
    tentatives: dict[str, list[TentativeLivraison]] = {i: [] for i in ids}
    if ids:
        found = await session.scalars(
            select(TentativeLivraison)
            .where(TentativeLivraison.livraison_id.in_(ids))
            .order_by(TentativeLivraison.livraison_id, TentativeLivraison.numero)
        )
        for tentative in found.all():
            tentatives[tentative.livraison_id].append(tentative)
    return [(livraison, evenement, tentatives[livraison.id]) for livraison, evenement in rows]


async def de_l_office(session: AsyncSession, *, office_id: str, livraison_id: str) -> Livraison | None:
    return await session.scalar(
        select(Livraison).where(Livraison.id == livraison_id, Livraison.office_id == office_id)
    )


async def abonnement(session: AsyncSession, abonnement_id: str) -> Abonnement:
    return await session.get_one(Abonnement, abonnement_id)
