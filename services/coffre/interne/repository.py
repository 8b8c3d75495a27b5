"""The internal endpoints' SQL. notify (role `service`) names the acte by its id: the scope is the acte
its own event announced. Never commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.models import Acte, LienRetrait


async def acte(session: AsyncSession, acte_id: str, *, verrou: bool = False) -> Acte | None:
    return await session.get(Acte, acte_id, with_for_update=verrou)


def ajouter_lien(session: AsyncSession, lien: LienRetrait) -> None:
    session.add(lien)
