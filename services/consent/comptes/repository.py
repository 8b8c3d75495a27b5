"""SQL of destinataire accounts and their challenges (never commits; every query scoped by the
account, the person or the e-mail's blind index)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.models import Compte, Declaration, Defi


async def compte_par_email(session: AsyncSession, email_index: str) -> Compte | None:
    return (
        await session.execute(select(Compte).where(Compte.email_index == email_index))
    ).scalar_one_or_none()


async def compte_de_la_personne(session: AsyncSession, personne_id: str) -> Compte | None:
    return (
        await session.execute(select(Compte).where(Compte.personne_id == personne_id))
    ).scalar_one_or_none()


async def compte(session: AsyncSession, compte_id: str) -> Compte | None:
    return await session.get(Compte, compte_id)


async def defi_verrouille(session: AsyncSession, defi_id: str) -> Defi | None:
    """The challenge, row-locked for its check (None for an unknown or over-long id)."""
    return await session.get(Defi, defi_id, with_for_update=True) if len(defi_id) <= 36 else None


async def defis_recents(session: AsyncSession, email_index: str, *, now: datetime) -> tuple[int, int]:
    """Challenges of the address over the last hour and the last day."""
    heure, jour = (
        await session.execute(
            select(
                func.count().filter(Defi.cree_le > now - timedelta(hours=1)),
                func.count(),
            ).where(Defi.email_index == email_index, Defi.cree_le > now - timedelta(days=1))
        )
    ).one()
    return int(heure), int(jour)


async def ids_des_declarations(session: AsyncSession, personne_id: str) -> list[str]:
    """Every declaration id of the person, oldest first."""
    ids = await session.scalars(
        select(Declaration.id).where(Declaration.personne_id == personne_id).order_by(Declaration.declaree_le)
    )
    return list(ids.all())


async def derniere_declaration_a_l_adresse(session: AsyncSession, compte: Compte) -> Declaration | None:
    """The person's latest declaration made with the account's e-mail address."""
    return await session.scalar(
        select(Declaration)
        .where(Declaration.personne_id == compte.personne_id, Declaration.email_index == compte.email_index)
        .order_by(Declaration.declaree_le.desc())
        .limit(1)
    )


async def declarations_de_la_personne(session: AsyncSession, personne_id: str) -> Sequence[Declaration]:
    """Every declaration of the person (any order)."""
    return (
        (await session.execute(select(Declaration).where(Declaration.personne_id == personne_id)))
        .scalars()
        .all()
    )
