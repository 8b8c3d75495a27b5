"""SQL of the consultations (the registry's hot path, bench/consultations): statements built once at
import (module constants, compiled once by SQLAlchemy's cache), run as Core statements, not through the
ORM's unit of work. Never commits: every function runs in the caller's transaction.

The reads return the rule's facts of declarations (`FaitsDeclaration`, `FaitsVersion` columns, never
the encrypted data), one joined row per version, ordered by declaration then version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, String, Table, any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.models import Consultation, Declaration, Version

_D = Declaration.__table__.c
_V = Version.__table__.c
_FAITS = select(
    _D.id,
    _D.decision,
    _D.decidee_le,
    _D.revoquee_le,
    _D.declaree_le,
    _V.numero,
    _V.creee_le,
    _V.natures,
    _V.debut,
    _V.fin,
    _V.fuseau,
).join_from(Declaration.__table__, Version.__table__, _V.declaration_id == _D.id)
#: Every declaration of one identity (blind index), each with its versions in order.
_PAR_IDENTITE = _FAITS.where(_D.identite_index == bindparam("cle")).order_by(_D.declaree_le, _D.id, _V.numero)
#: Every declaration of several identities (a batch, `lots.py`), grouped by identity. PostgreSQL:
#: `= ANY(array)`, one prepared statement whatever the batch size; SQLite: an expanding `IN`.
_PAR_IDENTITES = _FAITS.add_columns(_D.identite_index).order_by(
    _D.identite_index, _D.declaree_le, _D.id, _V.numero
)
_PAR_IDENTITES_PG = _PAR_IDENTITES.where(_D.identite_index == any_(bindparam("cles", type_=ARRAY(String))))
_PAR_IDENTITES_SQLITE = _PAR_IDENTITES.where(_D.identite_index.in_(bindparam("cles", expanding=True)))
#: One declaration by id, with its versions in order.
_PAR_DECLARATION = _FAITS.where(_D.id == bindparam("cle")).order_by(_V.numero)
_CONSULTATIONS = cast(Table, Consultation.__table__)
_CONSULTATION = insert(_CONSULTATIONS).returning(_CONSULTATIONS.c.id)
#: Several access-log rows, their ids in the order given (`inserer_lot`).
_CONSULTATIONS_LOT = insert(_CONSULTATIONS).returning(_CONSULTATIONS.c.id, sort_by_parameter_order=True)
#: The access-log row's column that receives its log leaf's index (`shared.translog.store.IndexRef`).
LEAF_INDEX = _CONSULTATIONS.c.leaf_index

Faits = Sequence[Row[*tuple[Any, ...]]]


async def faits_par_identite(session: AsyncSession, cle: str) -> Faits:
    """The facts of every declaration of the identity whose blind index is `cle`."""
    return (await session.execute(_PAR_IDENTITE, {"cle": cle})).all()


async def faits_par_identites(session: AsyncSession, cles: list[str]) -> Faits:
    """The facts of every declaration of these identities (blind indexes), in one query; each row also
    carries its `identite_index`, the rows ordered by it."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    statement = _PAR_IDENTITES_PG if postgresql else _PAR_IDENTITES_SQLITE
    return (await session.execute(statement, {"cles": cles})).all()


async def faits_par_declaration(session: AsyncSession, declaration_id: str) -> Faits:
    """The facts of one declaration (none when it does not exist)."""
    return (await session.execute(_PAR_DECLARATION, {"cle": declaration_id})).all()


async def inserer(session: AsyncSession, ligne: dict[str, Any]) -> int:
    """One access-log row; its id."""
    identifiant: int | None = await session.scalar(_CONSULTATION, ligne)
    if identifiant is None:  # pragma: no cover - INSERT ... RETURNING returns the row
        raise RuntimeError("the access-log insert returned no id")
    return identifiant


async def inserer_lot(session: AsyncSession, lignes: list[dict[str, Any]]) -> Sequence[int]:
    """Several access-log rows in one statement; their ids in the order of `lignes`."""
    ids: Sequence[int] = (await session.execute(_CONSULTATIONS_LOT, lignes)).scalars().all()
    return ids
