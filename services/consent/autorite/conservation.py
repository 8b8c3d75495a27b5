"""Legal hold endpoints: the judicial authority orders a declaration kept beyond its destruction date.

`POST /autorite/declarations/{id}/conservation` places a hold for a procedure (juridiction +
numéro), `POST .../conservation/levee` lifts that procedure's hold. The rule (one active hold per
procedure, the purge skipping held declarations, the logged events) is in `purge.conservation`;
this router parses, authorises (`CurrentAutorite`), calls it and shapes the answer.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from services.consent.autorite.schemas import Procedure
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.errors import EtatIncompatible
from services.consent.models import Conservation
from services.consent.purge import conservation as regle
from shared.auth import CurrentAutorite
from shared.bornes import IdChemin
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


@router.post(
    "/declarations/{declaration_id}/conservation",
    summary=("Ordonner la conservation d'une déclaration"),
    status_code=201,
    response_model=ConservationLue,
    responses=error_responses(Authentification, Interdit, Introuvable, EtatIncompatible, Unprocessable),
    description=(
        "Conserve la déclaration au-delà de sa date de destruction tant que la procédure le demande (gel "
        "pour les besoins d'une procédure) ; journalisé."
    ),
)
async def ordonner(
    declaration_id: IdChemin,
    corps: OrdreConservation,
    autorite: CurrentAutorite,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> ConservationLue:
    """Keep this declaration (even past its destruction date) until this procedure lifts the hold."""
    conservation = await regle.ordonner(
        session, registre, declaration_id, corps.procedure, autorite=autorite.sub, now=now
    )
    return _lue(conservation)


@router.post(
    "/declarations/{declaration_id}/conservation/levee",
    summary=("Lever la conservation"),
    response_model=ConservationLue,
    responses=error_responses(Authentification, Interdit, Introuvable, Unprocessable),
    description=(
        "Lève le gel de cette procédure ; la déclaration suit de nouveau sa durée de conservation dès "
        "qu'aucun autre gel ne la retient (destruction à la prochaine purge si la date est passée). "
        "Journalisé."
    ),
)
async def lever(
    declaration_id: IdChemin,
    corps: OrdreConservation,
    autorite: CurrentAutorite,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> ConservationLue:
    """Lift this procedure's hold; the declaration follows its retention again once no hold remains."""
    conservation = await regle.lever(
        session, registre, declaration_id, corps.procedure, autorite=autorite.sub, now=now
    )
    return _lue(conservation)
