"""SQL of the judicial authority's search: the actes matching exactly one criterion, oldest first.

Not scoped by office, by design: the authority searches across offices for one procedure; the
search itself is what is logged (`router.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.models import Acte

Critere = Literal["acte_id", "declaration_id", "reference_dossier"]
_COLONNES = {
    "acte_id": Acte.id,
    "declaration_id": Acte.declaration_id,
    "reference_dossier": Acte.reference_dossier,
}


async def actes_du_critere(
    session: AsyncSession, critere: Critere, valeur: str, limite: int
) -> Sequence[Acte]:
    query = select(Acte).where(_COLONNES[critere] == valeur).order_by(Acte.depose_le, Acte.id).limit(limite)
    return (await session.scalars(query)).all()
