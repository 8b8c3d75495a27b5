"""The retrieval pages' SQL: links, the actes served on a person, their annexes, browser sessions.

Every query is scoped by what the caller proved: a link by the SHA-256 of its token, actes and annexes
by the declarations of the signed-in person (consent's answer), a session record by the SHA-256 of
the browser's cookie. Never commits (the caller's transaction does).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.models import ENVOYES, Acte, ActeAnnexe, LienRetrait, SessionRetrait

#: At most this many actes listed on a page (newest first).
ACTES_PAR_PAGE = 200


async def lien(session: AsyncSession, jeton_hash: str) -> tuple[LienRetrait | None, Acte | None]:
    """The link whose token hashes to `jeton_hash`, and its acte."""
    trouve = await session.get(LienRetrait, jeton_hash)
    acte = await session.get(Acte, trouve.acte_id) if trouve is not None else None
    return trouve, acte


async def actes_servis(session: AsyncSession, declarations: Collection[str]) -> Sequence[Acte]:
    """The actes served on these declarations, newest first (`ACTES_PAR_PAGE` at most)."""
    return (
        await session.scalars(
            select(Acte)
            .where(Acte.declaration_id.in_(list(declarations)), Acte.statut.in_(ENVOYES))
            .order_by(Acte.envoye_le.desc())
            .limit(ACTES_PAR_PAGE)
        )
    ).all()


async def annexes_de(session: AsyncSession, actes: Collection[str]) -> Sequence[ActeAnnexe]:
    """The annexes of these actes (one query for the whole list), by acte then position."""
    return (
        await session.scalars(
            select(ActeAnnexe)
            .where(ActeAnnexe.acte_id.in_(list(actes)))
            .order_by(ActeAnnexe.acte_id, ActeAnnexe.position)
        )
    ).all()


async def annexe(session: AsyncSession, acte: Acte, position: int) -> ActeAnnexe | None:
    """One annexe of an acte the caller already scoped (`reception.prise.acte_du_destinataire`)."""
    return await session.get(ActeAnnexe, (acte.id, position))


async def session_navigateur(session: AsyncSession, id_: str) -> SessionRetrait | None:
    """The browser's record, by the SHA-256 of its cookie value."""
    return await session.get(SessionRetrait, id_)


def ouvrir_session(session: AsyncSession, ligne: SessionRetrait) -> None:
    session.add(ligne)


async def terminer_session(session: AsyncSession, id_: str, *, now: datetime) -> None:
    """End a browser's record now (if not ended already)."""
    await session.execute(
        update(SessionRetrait)
        .where(SessionRetrait.id == id_, SessionRetrait.terminee_le.is_(None))
        .values(terminee_le=now)
    )
