"""SQL of the registry evidence bundles (never commits; every query scoped by the declaration)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.models import Consultation, Evenement, RechercheAutorite


async def feuilles_candidates(session: AsyncSession, declaration_id: str) -> dict[int, dict[str, Any]]:
    """Candidate leaf indexes with what the tables add to them (the event's actor).

    A row whose leaf is not integrated yet (`leaf_index` null) has no proof to give and is left out.
    """
    found: dict[int, dict[str, Any]] = {}
    evenements = await session.execute(
        select(Evenement.leaf_index, Evenement.acteur).where(
            Evenement.declaration_id == declaration_id, Evenement.leaf_index.is_not(None)
        )
    )
    for index, acteur in evenements:
        if index is not None:
            found[index] = {"acteur": acteur}
    consultations = await session.scalars(
        select(Consultation.leaf_index).where(
            Consultation.declaration_id == declaration_id, Consultation.leaf_index.is_not(None)
        )
    )
    for index in consultations:
        if index is not None:
            found.setdefault(index, {})
    recherches = await session.execute(
        select(RechercheAutorite.leaf_index, RechercheAutorite.declaration_ids).where(
            RechercheAutorite.leaf_index.is_not(None)
        )
    )
    for index, ids in recherches:
        if index is not None and ids == [declaration_id]:
            found.setdefault(index, {})
    return found


async def checkpoint_couvrant(session: AsyncSession, table: Table, dernier_index: int) -> str | None:
    """The first stored checkpoint whose tree holds `dernier_index`."""
    note = await session.scalar(
        select(table.c.note).where(table.c.size > dernier_index).order_by(table.c.size).limit(1)
    )
    return str(note) if note is not None else None
