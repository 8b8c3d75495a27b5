"""The periodic jobs' SQL and the timestamped checkpoints' (`repertoire_horodatages`). Never commits.

The audit and the cleanup run over the whole coffre, on no caller's behalf: they read hashes and ids
only, never a person's data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.models import (
    Acte,
    ActeAnnexe,
    DepotEnCours,
    DocumentEmis,
    RepertoireHorodatage,
    SessionRetrait,
)


def ajouter_horodatage(session: AsyncSession, horodatage: RepertoireHorodatage) -> None:
    session.add(horodatage)


async def jeton_du_checkpoint(session: AsyncSession, note: str) -> bytes | None:
    """The RFC 3161 token already made over this very checkpoint, if any."""
    jeton = await session.scalar(
        select(RepertoireHorodatage.jeton).where(RepertoireHorodatage.checkpoint == note).limit(1)
    )
    return bytes(jeton) if jeton is not None else None


async def empreintes_nommees(session: AsyncSession) -> set[str]:
    """Every blob an acte, an annexe or an issued document names (SHA-256 hex)."""
    shas = set((await session.scalars(select(Acte.sha256))).all())
    shas |= set((await session.scalars(select(ActeAnnexe.sha256))).all())
    shas |= set((await session.scalars(select(DocumentEmis.sha256))).all())
    return shas


async def purger_avant(session: AsyncSession, limite: datetime) -> None:
    """Deposits never finished and retrieval sessions expired before `limite`."""
    await session.execute(delete(DepotEnCours).where(DepotEnCours.cree_le < limite))
    await session.execute(delete(SessionRetrait).where(SessionRetrait.expire_le < limite))
