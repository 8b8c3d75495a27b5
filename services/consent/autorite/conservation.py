"""Legal hold: the judicial authority orders a declaration kept beyond its destruction date.

`POST /autorite/declarations/{id}/conservation` places a hold for a procedure (juridiction +
numéro), `POST .../conservation/levee` lifts that procedure's hold. While any hold is not lifted the
retention purge skips the declaration (`purge.service.dues`); once the last one is lifted, the next
daily purge destroys it if its date has passed. Each order and lift is an event of the declaration's
history and a leaf of the registry log (with a keyed hash of the procedure, not its text).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.autorite.router import Procedure, reference_procedure
from services.consent.declarations import repository
from services.consent.declarations.service import evenement
from services.consent.dependencies import NowDep, SessionDep
from services.consent.errors import EtatIncompatible
from services.consent.models import Conservation
from services.consent.registre import Registre, RegistreDep
from shared.auth import CurrentAutorite
from shared.errors import Authentification, Interdit, Introuvable, Unprocessable, error_responses

router = APIRouter(prefix="/consent/v1/autorite", tags=["autorité judiciaire"])


class OrdreConservation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    procedure: Procedure


class ConservationLue(BaseModel):
    declaration_id: str
    procedure: Procedure
    ordonnee_le: datetime
    levee_le: datetime | None


def _lue(c: Conservation) -> ConservationLue:
    return ConservationLue(
        declaration_id=c.declaration_id,
        procedure=Procedure(juridiction=c.procedure_juridiction, numero=c.procedure_numero),
        ordonnee_le=c.ordonnee_le,
        levee_le=c.levee_le,
    )


async def _active(session: AsyncSession, declaration_id: str, procedure: Procedure) -> Conservation | None:
    found: Conservation | None = await session.scalar(
        select(Conservation).where(
            Conservation.declaration_id == declaration_id,
            Conservation.procedure_juridiction == procedure.juridiction,
            Conservation.procedure_numero == procedure.numero,
            Conservation.levee_le.is_(None),
        )
    )
    return found


async def _consigner(
    session: AsyncSession, registre: Registre, c: Conservation, type_: str, *, acteur: str, now: datetime
) -> None:
    procedure = Procedure(juridiction=c.procedure_juridiction, numero=c.procedure_numero)
    await evenement(
        session,
        registre,
        c.declaration_id,
        type_,
        now=now,
        acteur=acteur,
        procedure=reference_procedure(registre, procedure),
    )


@router.post(
    "/declarations/{declaration_id}/conservation",
    status_code=201,
    response_model=ConservationLue,
    responses=error_responses(Authentification, Interdit, Introuvable, EtatIncompatible, Unprocessable),
)
async def ordonner(
    declaration_id: str,
    corps: OrdreConservation,
    autorite: CurrentAutorite,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> ConservationLue:
    """Keep this declaration (even past its destruction date) until this procedure lifts the hold."""
    declaration = await repository.charger(session, declaration_id, verrou=True)
    if await _active(session, declaration.id, corps.procedure) is not None:
        raise EtatIncompatible("Cette procédure a déjà ordonné la conservation de cette déclaration.")
    conservation = Conservation(
        declaration_id=declaration.id,
        procedure_juridiction=corps.procedure.juridiction,
        procedure_numero=corps.procedure.numero,
        ordonnee_par=autorite.sub,
        ordonnee_le=now,
    )
    session.add(conservation)
    type_ = "declaration.conservation_ordonnee"
    await _consigner(session, registre, conservation, type_, acteur=f"autorite:{autorite.sub}", now=now)
    return _lue(conservation)


@router.post(
    "/declarations/{declaration_id}/conservation/levee",
    response_model=ConservationLue,
    responses=error_responses(Authentification, Interdit, Introuvable, Unprocessable),
)
async def lever(
    declaration_id: str,
    corps: OrdreConservation,
    autorite: CurrentAutorite,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> ConservationLue:
    """Lift this procedure's hold; the declaration follows its retention again once no hold remains."""
    declaration = await repository.charger(session, declaration_id, verrou=True)
    conservation = await _active(session, declaration.id, corps.procedure)
    if conservation is None:
        raise Introuvable("Aucune conservation en cours pour cette procédure.")
    conservation.levee_par = autorite.sub
    conservation.levee_le = now
    type_ = "declaration.conservation_levee"
    await _consigner(session, registre, conservation, type_, acteur=f"autorite:{autorite.sub}", now=now)
    return _lue(conservation)
