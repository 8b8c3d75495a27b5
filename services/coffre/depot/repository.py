"""The deposit's SQL: the acte and its annexes, idempotency records (scoped by office), and the blobs
announced while they are written (`depots_en_cours`: the orphan cleanup spares a blob until the
record naming it commits). Never commits."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.models import Acte, ActeAnnexe, DepotEnCours, DocumentEmis, Idempotence


async def ajouter_acte(session: AsyncSession, acte: Acte, annexes: Collection[ActeAnnexe]) -> None:
    session.add(acte)
    await session.flush()  # annexes and events reference the acte row
    session.add_all(annexes)


async def acte(session: AsyncSession, acte_id: str) -> Acte | None:
    """An acte by id, for a job the coffre scheduled itself."""
    return await session.get(Acte, acte_id)


async def idempotence(session: AsyncSession, office_id: str, cle: str) -> Idempotence | None:
    return await session.get(Idempotence, (office_id, cle))


def ajouter_idempotence(session: AsyncSession, record: Idempotence) -> None:
    session.add(record)


def annoncer_blob(session: AsyncSession, en_cours: DepotEnCours) -> None:
    session.add(en_cours)


async def retirer_annonces(session: AsyncSession, ids: Collection[str]) -> None:
    if ids:
        await session.execute(delete(DepotEnCours).where(DepotEnCours.id.in_(list(ids))))


async def blob_reference(session: AsyncSession, sha256: str) -> bool:
    """Whether an acte, an annexe, an issued document or a write in progress still names this blob."""
    query = select(
        or_(
            exists().where(Acte.sha256 == sha256),
            exists().where(ActeAnnexe.sha256 == sha256),
            exists().where(DocumentEmis.sha256 == sha256),
            exists().where(DepotEnCours.sha256 == sha256),
        )
    )
    return bool(await session.scalar(query))
