"""Where a service keeps the openings of its log leaves' commitments (`shared.evidence.engagements`).

One row per commitment, keyed by it: the clear field's name, the value and the salt. Written in the
transaction that queues or appends the leaf; read back by the evidence bundles for the leaves they
include; deleted by the retention purge for the values it destroys (the leaves stay, unlinkable).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Column, Index, LargeBinary, MetaData, String, Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.evidence.engagements import Ouverture


def define_ouvertures_table(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("engagement", String(64), primary_key=True),
        Column("champ", String(32), nullable=False),
        Column("valeur", String(200), nullable=False),
        Column("sel", LargeBinary, nullable=False),
        Index(f"ix_{name}_valeur", "valeur"),
    )


async def retenir(session: AsyncSession, table: Table, ouvertures: Sequence[Ouverture]) -> None:
    if ouvertures:
        await session.execute(
            insert(table),
            [
                {"engagement": o.engagement, "champ": o.champ, "valeur": o.valeur, "sel": o.sel}
                for o in ouvertures
            ],
        )


#: Commitments per query of `lire` (a bundle's openings in one query, each far below the drivers'
#: parameter limits).
_PAR_LECTURE = 1000


async def lire(session: AsyncSession, table: Table, engagements: Iterable[str]) -> list[Ouverture]:
    """The openings of these commitments (those stored), one query per `_PAR_LECTURE` of them."""
    voulus = sorted(set(engagements))
    trouvees: list[Ouverture] = []
    for debut in range(0, len(voulus), _PAR_LECTURE):
        rows = await session.execute(
            select(table).where(table.c.engagement.in_(voulus[debut : debut + _PAR_LECTURE]))
        )
        trouvees.extend(Ouverture(r.engagement, r.champ, r.valeur, bytes(r.sel)) for r in rows)
    return trouvees


async def oublier(session: AsyncSession, table: Table, valeurs: Sequence[str]) -> None:
    """Destroy the openings of these values (the purge): their leaves can no longer be linked."""
    if valeurs:
        await session.execute(delete(table).where(table.c.valeur.in_(list(valeurs))))
