"""Legal hold (legal.md G3): the judicial authority orders a declaration kept beyond its destruction date.

The rule, in one place: a procedure (juridiction + numéro) has at most one active hold on a declaration
(ordering it again while it is active is refused, `ConservationDejaOrdonnee`); a hold is lifted by the
procedure that ordered it (`AucuneConservation` when that procedure has none active); the declaration
is held while any hold is not lifted (`purge.repository.retenue`, which the purge's `dues` excludes),
so once the last one is lifted the next daily purge destroys it if its date has passed. Each order
and lift is an event of the declaration's history and a leaf of the registry log, with a keyed hash of
the procedure (`reference_procedure`), not its text. Everything runs in the caller's transaction,
the declaration row locked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.autorite.procedure import (
    ProcedureEnregistree,
    ProcedureJudiciaire,
    reference_procedure,
)
from services.consent.declarations import repository
from services.consent.declarations.service import evenement
from services.consent.errors import EtatIncompatible
from services.consent.models import Conservation
from services.consent.purge.repository import active
from services.consent.registre import Registre
from shared.errors import Introuvable

ORDONNEE = "declaration.conservation_ordonnee"
LEVEE = "declaration.conservation_levee"


class ConservationDejaOrdonnee(EtatIncompatible):
    """409: this procedure already holds this declaration."""


class AucuneConservation(Introuvable):
    """404: this procedure holds nothing on this declaration."""


async def _consigner(
    session: AsyncSession, registre: Registre, c: Conservation, type_: str, *, acteur: str, now: datetime
) -> None:
    await evenement(
        session,
        registre,
        c.declaration_id,
        type_,
        now=now,
        acteur=acteur,
        procedure=reference_procedure(
            registre, ProcedureEnregistree(c.procedure_juridiction, c.procedure_numero)
        ),
    )


async def ordonner(
    session: AsyncSession,
    registre: Registre,
    declaration_id: str,
    procedure: ProcedureJudiciaire,
    *,
    autorite: str,
    now: datetime,
) -> Conservation:
    """Place `procedure`'s hold on the declaration (ordered by the authority `autorite`, its `sub`)."""
    declaration = await repository.charger(session, declaration_id, verrou=True)
    if await active(session, declaration.id, procedure) is not None:
        raise ConservationDejaOrdonnee("Cette procédure a déjà ordonné la conservation de cette déclaration.")
    conservation = Conservation(
        declaration_id=declaration.id,
        procedure_juridiction=procedure.juridiction,
        procedure_numero=procedure.numero,
        ordonnee_par=autorite,
        ordonnee_le=now,
    )
    session.add(conservation)
    await _consigner(session, registre, conservation, ORDONNEE, acteur=f"autorite:{autorite}", now=now)
    return conservation


async def lever(
    session: AsyncSession,
    registre: Registre,
    declaration_id: str,
    procedure: ProcedureJudiciaire,
    *,
    autorite: str,
    now: datetime,
) -> Conservation:
    """Lift `procedure`'s hold (by the authority `autorite`, its `sub`)."""
    declaration = await repository.charger(session, declaration_id, verrou=True)
    conservation = await active(session, declaration.id, procedure)
    if conservation is None:
        raise AucuneConservation("Aucune conservation en cours pour cette procédure.")
    conservation.levee_par = autorite
    conservation.levee_le = now
    await _consigner(session, registre, conservation, LEVEE, acteur=f"autorite:{autorite}", now=now)
    return conservation
