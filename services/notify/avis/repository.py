"""Avis de mise à disposition's SQL, by event id and by acte id (one avis per acte). Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.models import AvisMiseADisposition, Evenement


async def evenement(session: AsyncSession, evenement_id: str) -> Evenement | None:
    return await session.scalar(select(Evenement).where(Evenement.id == evenement_id))


async def avis_de_l_acte(session: AsyncSession, acte_id: str) -> AvisMiseADisposition | None:
    return await session.scalar(select(AvisMiseADisposition).where(AvisMiseADisposition.acte_id == acte_id))


async def deja_envoye(session: AsyncSession, acte_id: str) -> bool:
    """An avis of this acte is recorded (sent or failed for good)."""
    trouve = await session.scalar(
        select(AvisMiseADisposition.id).where(AvisMiseADisposition.acte_id == acte_id)
    )
    return trouve is not None


def ajouter(session: AsyncSession, avis: AvisMiseADisposition) -> None:
    session.add(avis)


async def marquer_rapporte(session: AsyncSession, avis_id: str, *, now: datetime) -> None:
    await session.execute(
        update(AvisMiseADisposition).where(AvisMiseADisposition.id == avis_id).values(rapporte_le=now)
    )
