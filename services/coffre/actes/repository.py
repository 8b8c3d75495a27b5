"""SQL for reading actes; every query is scoped by the caller's office."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.models import Acte, ActeAnnexe, ActeEvenement, LettreSimpleEnvoi


async def acte_de_l_office(session: AsyncSession, office_id: str, acte_id: str) -> Acte | None:
    return await session.scalar(select(Acte).where(Acte.id == acte_id, Acte.office_id == office_id))


async def lister(
    session: AsyncSession,
    office_id: str,
    *,
    statut: str | None,
    reference_dossier: str | None,
    apres: tuple[datetime, str] | None,
    limite: int,
) -> Sequence[Acte]:
    query = select(Acte).where(Acte.office_id == office_id)
    if statut:
        query = query.where(Acte.statut == statut)
    if reference_dossier:
        query = query.where(Acte.reference_dossier == reference_dossier)
    if apres is not None:
        instant, ident = apres
        query = query.where(
            or_(Acte.depose_le < instant, tuple_(Acte.depose_le, Acte.id) < tuple_(instant, ident))
        )
    query = query.order_by(Acte.depose_le.desc(), Acte.id.desc()).limit(limite)
    return (await session.scalars(query)).all()


async def evenements(session: AsyncSession, acte_id: str) -> Sequence[ActeEvenement]:
    query = select(ActeEvenement).where(ActeEvenement.acte_id == acte_id).order_by(ActeEvenement.id)
    return (await session.scalars(query)).all()


async def envois_lettre_simple(session: AsyncSession, acte_id: str) -> Sequence[LettreSimpleEnvoi]:
    """Every recorded posting of the acte's lettre simple, oldest first (the last is current)."""
    query = (
        select(LettreSimpleEnvoi).where(LettreSimpleEnvoi.acte_id == acte_id).order_by(LettreSimpleEnvoi.id)
    )
    return (await session.scalars(query)).all()


async def annexes(session: AsyncSession, acte_id: str) -> Sequence[ActeAnnexe]:
    query = select(ActeAnnexe).where(ActeAnnexe.acte_id == acte_id).order_by(ActeAnnexe.position)
    return (await session.scalars(query)).all()


async def evenements_des(session: AsyncSession, acte_ids: Sequence[str]) -> dict[str, list[ActeEvenement]]:
    """The events of several actes in one query: {acte id: its events in order} (every id a key)."""
    par_acte: dict[str, list[ActeEvenement]] = {ident: [] for ident in acte_ids}
    if acte_ids:
        query = select(ActeEvenement).where(ActeEvenement.acte_id.in_(acte_ids)).order_by(ActeEvenement.id)
        for evenement in await session.scalars(query):
            par_acte[evenement.acte_id].append(evenement)
    return par_acte


async def annexes_des(session: AsyncSession, acte_ids: Sequence[str]) -> dict[str, list[ActeAnnexe]]:
    """The annexes of several actes in one query: {acte id: its annexes in order} (every id a key)."""
    par_acte: dict[str, list[ActeAnnexe]] = {ident: [] for ident in acte_ids}
    if acte_ids:
        query = (
            select(ActeAnnexe)
            .where(ActeAnnexe.acte_id.in_(acte_ids))
            .order_by(ActeAnnexe.acte_id, ActeAnnexe.position)
        )
        for annexe in await session.scalars(query):
            par_acte[annexe.acte_id].append(annexe)
    return par_acte


async def evenements_du_type(session: AsyncSession, acte_id: str, type_: str) -> Sequence[ActeEvenement]:
    """The acte's events of one type, in order."""
    query = (
        select(ActeEvenement)
        .where(ActeEvenement.acte_id == acte_id, ActeEvenement.type == type_)
        .order_by(ActeEvenement.id)
    )
    return (await session.scalars(query)).all()
