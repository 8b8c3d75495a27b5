"""SQL of declarations (never commits)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.models import CleDeclaration, Declaration, Evenement, Idempotence, Piece, Version
from shared.errors import Introuvable


async def charger(session: AsyncSession, declaration_id: str, *, verrou: bool = False) -> Declaration:
    stmt = select(Declaration).where(Declaration.id == declaration_id)
    if verrou:
        stmt = stmt.with_for_update()
    declaration = (await session.execute(stmt)).scalar_one_or_none()
    if declaration is None:
        raise Introuvable("Déclaration introuvable.")
    return declaration


async def trouver(session: AsyncSession, declaration_id: str) -> Declaration | None:
    """The declaration, or None (purged meanwhile)."""
    return await session.get(Declaration, declaration_id)


async def cle_enveloppee(session: AsyncSession, declaration_id: str) -> bytes | None:
    """The declaration's wrapped data key (None once purged)."""
    row = await session.get(CleDeclaration, declaration_id)
    return row.cle_enveloppee if row is not None else None


async def idempotence(session: AsyncSession, cle: str) -> Idempotence | None:
    """What a creation under this (hashed) `Idempotency-Key` answered."""
    return await session.get(Idempotence, cle)


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


async def en_examen(session: AsyncSession, declaration_id: str, examen: str) -> Version | None:
    """The version of the declaration under `examen` (a rectification waiting for the operator)."""
    stmt = select(Version).where(Version.declaration_id == declaration_id, Version.examen == examen)
    return (await session.execute(stmt)).scalar_one_or_none()


async def version_et_numero(session: AsyncSession, declaration_id: str, numero: int) -> tuple[Version, str]:
    """The version `numero` of the declaration and the declaration's registration number."""
    version, numero_rc = (
        await session.execute(
            select(Version, Declaration.numero)
            .join(Declaration, Declaration.id == Version.declaration_id)
            .where(Version.declaration_id == declaration_id, Version.numero == numero)
        )
    ).one()
    return version, numero_rc


async def nombre_evenements(session: AsyncSession, declaration_id: str, type_: str) -> int:
    """How many events of `type_` the declaration has."""
    nombre = await session.scalar(
        select(func.count())
        .select_from(Evenement)
        .where(Evenement.declaration_id == declaration_id, Evenement.type == type_)
    )
    return int(nombre or 0)


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


async def piece(session: AsyncSession, declaration_id: str, piece_id: str) -> Piece:
    """A proof of this declaration (404 `introuvable` for another declaration's)."""
    stmt = select(Piece).where(Piece.id == piece_id, Piece.declaration_id == declaration_id)
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise Introuvable("Pièce introuvable.")
    return row


async def pieces(session: AsyncSession, declaration_id: str) -> Sequence[Piece]:
    stmt = select(Piece).where(Piece.declaration_id == declaration_id).order_by(Piece.deposee_le, Piece.id)
    return (await session.execute(stmt)).scalars().all()


@dataclass(frozen=True)
class Dossier:
    """What a full view of one declaration reads: its key (wrapped), versions, proofs and events."""

    cle_enveloppee: bytes
    versions: list[Version] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    evenements: list[Evenement] = field(default_factory=list)


async def dossiers(session: AsyncSession, ids: Sequence[str]) -> dict[str, Dossier]:
    """The `Dossier` of each declaration of `ids` (one query per table, whatever their number), each
    list in the order of the single-declaration reads: versions by number, proofs by deposit, events
    by id."""
    if not ids:
        return {}
    cles = await session.execute(
        select(CleDeclaration.declaration_id, CleDeclaration.cle_enveloppee).where(
            CleDeclaration.declaration_id.in_(ids)
        )
    )
    resultat = {declaration_id: Dossier(cle) for declaration_id, cle in cles}
    vides = Dossier(b"")  # rows of a declaration without a key (none: both go together) land here
    versions = select(Version).where(Version.declaration_id.in_(ids)).order_by(Version.numero)
    for v in await session.scalars(versions):
        resultat.get(v.declaration_id, vides).versions.append(v)
    pieces = select(Piece).where(Piece.declaration_id.in_(ids)).order_by(Piece.deposee_le, Piece.id)
    for p in await session.scalars(pieces):
        resultat.get(p.declaration_id, vides).pieces.append(p)
    evenements = select(Evenement).where(Evenement.declaration_id.in_(ids)).order_by(Evenement.id)
    for e in await session.scalars(evenements):
        resultat.get(e.declaration_id, vides).evenements.append(e)
    return resultat


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
