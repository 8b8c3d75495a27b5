"""The reception's SQL: the prise de connaissance, the mode, the lettre simple, the issued documents.

Each state change is a conditional UPDATE (`... WHERE <field> IS NULL` or equal to what was read)
whose row count says whether this call made it, so two concurrent requests never both record it.
Actes reached by a destinataire are scoped by her declarations; the others by the acte id the caller
(the office's route, a job) already scoped. Never commits.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.models import ENVOYES, Acte, ActeEvenement, DocumentEmis, LettreSimpleEnvoi


def ajouter_evenement(
    session: AsyncSession,
    acte_id: str,
    type_: str,
    *,
    now: datetime,
    journal_index: int | None = None,
    donnees: Mapping[str, object] | None = None,
) -> ActeEvenement:
    evenement = ActeEvenement(
        acte_id=acte_id, type=type_, instant=now, journal_index=journal_index, donnees=dict(donnees or {})
    )
    session.add(evenement)
    return evenement


async def acte_du_destinataire(
    session: AsyncSession, acte_id: str, declarations: Collection[str], *, verrou: bool = False
) -> Acte | None:
    """The acte if it was served on one of these declarations (locked with `verrou`)."""
    query = select(Acte).where(
        Acte.id == acte_id, Acte.declaration_id.in_(list(declarations)), Acte.statut.in_(ENVOYES)
    )
    if verrou:
        query = query.with_for_update()
    return await session.scalar(query)


async def acte_verrouille(session: AsyncSession, acte_id: str) -> Acte | None:
    return await session.get(Acte, acte_id, with_for_update=True)


async def verrouiller(session: AsyncSession, acte: Acte) -> None:
    """Lock the acte's row and read it again (what a concurrent writer committed meanwhile)."""
    await session.refresh(acte, with_for_update=True)


async def noter_prise_de_connaissance(session: AsyncSession, acte_id: str, *, now: datetime) -> bool:
    """Record the instant unless one is recorded; True when this call recorded it."""
    resultat = await session.execute(
        update(Acte)
        .where(Acte.id == acte_id, Acte.pris_connaissance_le.is_(None))
        .values(pris_connaissance_le=now, statut="pris_connaissance")
        .execution_options(synchronize_session=False)
    )
    return bool(resultat.rowcount == 1)  # type: ignore[attr-defined]


async def garder_avis_reception(session: AsyncSession, acte_id: str, jws: str) -> None:
    await session.execute(
        update(Acte)
        .where(Acte.id == acte_id)
        .values(avis_reception_jws=jws)
        .execution_options(synchronize_session=False)
    )


async def fixer_mode(
    session: AsyncSession, acte_id: str, mode: str, *, now: datetime, due: date | None
) -> bool:
    """Fix the mode unless one is fixed; True when this call fixed it."""
    resultat = await session.execute(
        update(Acte)
        .where(Acte.id == acte_id, Acte.mode.is_(None))
        .values(mode=mode, mode_fixe_le=now, lettre_simple_due_le=due)
        .execution_options(synchronize_session=False)
    )
    return bool(resultat.rowcount == 1)  # type: ignore[attr-defined]


async def dernier_envoi_lettre(session: AsyncSession, acte_id: str) -> LettreSimpleEnvoi | None:
    """The acte's current lettre simple record, locked."""
    return await session.scalar(
        select(LettreSimpleEnvoi)
        .where(LettreSimpleEnvoi.acte_id == acte_id)
        .order_by(LettreSimpleEnvoi.id.desc())
        .limit(1)
        .with_for_update()
    )


async def noter_lettre_envoyee(
    session: AsyncSession, acte_id: str, envoyee_le: date, *, precedente: date | None
) -> bool:
    """Set the posting date if it is still `precedente`; True when this call set it."""
    condition = (
        Acte.lettre_simple_envoyee_le.is_(None)
        if precedente is None
        else Acte.lettre_simple_envoyee_le == precedente
    )
    resultat = await session.execute(
        update(Acte)
        .where(Acte.id == acte_id, condition)
        .values(lettre_simple_envoyee_le=envoyee_le)
        .execution_options(synchronize_session=False)
    )
    return bool(resultat.rowcount == 1)  # type: ignore[attr-defined]


def ajouter_envoi_lettre(session: AsyncSession, envoi: LettreSimpleEnvoi) -> None:
    session.add(envoi)


async def versions(session: AsyncSession, acte_id: str, type_: str | None = None) -> Sequence[DocumentEmis]:
    """Every issued version of the acte's documents (of one type), oldest first."""
    query = select(DocumentEmis).where(DocumentEmis.acte_id == acte_id)
    if type_ is not None:
        query = query.where(DocumentEmis.type == type_)
    return (await session.scalars(query.order_by(DocumentEmis.type, DocumentEmis.version))).all()


async def derniere_version(session: AsyncSession, acte_id: str, type_: str) -> DocumentEmis | None:
    query = (
        select(DocumentEmis)
        .where(DocumentEmis.acte_id == acte_id, DocumentEmis.type == type_)
        .order_by(DocumentEmis.version.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


def ajouter_document(session: AsyncSession, emis: DocumentEmis) -> None:
    session.add(emis)
