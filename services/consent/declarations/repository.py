"""SQL of declarations (never commits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.models import Declaration, Piece, Version
from shared.errors import Introuvable


async def charger(session: AsyncSession, declaration_id: str, *, verrou: bool = False) -> Declaration:
    stmt = select(Declaration).where(Declaration.id == declaration_id)
    if verrou:
        stmt = stmt.with_for_update()
    declaration = (await session.execute(stmt)).scalar_one_or_none()
    if declaration is None:
        raise Introuvable("Déclaration introuvable.")
    return declaration


async def par_numero_ou_id(session: AsyncSession, identifiant: str) -> Declaration:
    """The declaration by its registration number (`RC-2026-…`, as given to the declarant and printed on
    the récépissé; any case, spaces ignored) or by its id."""
    numero = "".join(identifiant.split()).upper()
    if numero.startswith("RC-"):
        declaration = await session.scalar(select(Declaration).where(Declaration.numero == numero))
        if declaration is None:
            raise Introuvable("Déclaration introuvable.")
        return declaration
    return await charger(session, identifiant.strip())


async def de_la_personne(session: AsyncSession, personne_id: str) -> Sequence[Declaration]:
    """Every declaration of one person (a declarant signed in sees them all), oldest first."""
    stmt = select(Declaration).where(Declaration.personne_id == personne_id).order_by(Declaration.declaree_le)
    return (await session.execute(stmt)).scalars().all()


async def versions(session: AsyncSession, declaration_id: str) -> Sequence[Version]:
    stmt = select(Version).where(Version.declaration_id == declaration_id).order_by(Version.numero)
    return (await session.execute(stmt)).scalars().all()


async def version(session: AsyncSession, declaration_id: str, numero: int) -> Version | None:
    stmt = select(Version).where(Version.declaration_id == declaration_id, Version.numero == numero)
    return (await session.execute(stmt)).scalar_one_or_none()


async def prochain_numero(session: AsyncSession, declaration_id: str) -> int:
    """The next version's number (after every version, a rectification under review included)."""
    dernier = await session.scalar(
        select(func.max(Version.numero)).where(Version.declaration_id == declaration_id)
    )
    return int(dernier or 0) + 1


async def version_courante(session: AsyncSession, declaration: Declaration) -> Version:
    stmt = select(Version).where(
        Version.declaration_id == declaration.id, Version.numero == declaration.version_courante
    )
    return (await session.execute(stmt)).scalar_one()


async def avec_version_courante(
    session: AsyncSession, personne_id: str
) -> Sequence[tuple[Declaration, Version]]:
    """Every declaration of one person with its current version, oldest first, in one query."""
    stmt = (
        select(Declaration, Version)
        .join(
            Version,
            (Version.declaration_id == Declaration.id) & (Version.numero == Declaration.version_courante),
        )
        .where(Declaration.personne_id == personne_id)
        .order_by(Declaration.declaree_le)
    )
    return [(declaration, version) for declaration, version in await session.execute(stmt)]


async def pieces(session: AsyncSession, declaration_id: str) -> Sequence[Piece]:
    stmt = select(Piece).where(Piece.declaration_id == declaration_id).order_by(Piece.deposee_le, Piece.id)
    return (await session.execute(stmt)).scalars().all()


def jour_local(instant: datetime, fuseau: str) -> date:
    return instant.astimezone(ZoneInfo(fuseau)).date()


def statut_effectif(declaration: Declaration, version: Version, now: datetime) -> str:
    """The stored status, with `expiree` for an active declaration whose `fin` has passed."""
    if (
        declaration.statut == "active"
        and version.fin is not None
        and jour_local(now, version.fuseau) > version.fin
    ):
        return "expiree"
    return declaration.statut
