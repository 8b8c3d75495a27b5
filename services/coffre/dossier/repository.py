"""The evidence bundle's SQL (beyond `actes.repository`'s reads and `journal.repository`'s timestamped
checkpoints): which acte the caller may see, the checkpoint covering a leaf. Never commits."""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.actes import repository as actes
from services.coffre.models import Acte


async def acte_visible(session: AsyncSession, acte_id: str, *, office_id: str | None) -> Acte | None:
    """An office sees its own actes; the judicial authority (no office) any acte, each access logged
    by the caller (`acces_preuves_autorite` leaf)."""
    if office_id is not None:
        return await actes.acte_de_l_office(session, office_id, acte_id)
    return await session.get(Acte, acte_id)


async def checkpoint_couvrant(session: AsyncSession, checkpoints: Table, dernier_index: int) -> str | None:
    """The first stored checkpoint whose tree holds `dernier_index`."""
    note = await session.scalar(
        select(checkpoints.c.note)
        .where(checkpoints.c.size > dernier_index)
        .order_by(checkpoints.c.size)
        .limit(1)
    )
    return str(note) if note is not None else None
