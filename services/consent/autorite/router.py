"""`POST /autorite/recherches` and `GET /autorite/declarations/{id}/pieces/{piece_id}`: wiring only.

Purpose binding, logging and the full view are the service's (`autorite/service.py`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.consent.autorite import service
from services.consent.autorite.schemas import Recherche, Resultat
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from shared.auth import CurrentAutorite
from shared.bornes import IdChemin
from shared.errors import Authentification, Interdit, Introuvable, Unprocessable, error_responses
from shared.openapi import fichier

router = APIRouter(prefix="/consent/v1/autorite", tags=["autorité judiciaire"])


@router.post(
    "/recherches",
    summary=("Rechercher les déclarations d'une personne (procédure)"),
    response_model=Resultat,
    responses=error_responses(Authentification, Interdit, Unprocessable),
    description=(
        "Pour une procédure (`juridiction`, `numero`) : toutes les déclarations encore conservées de la "
        "personne (ou celle de `declaration_id`), révoquées comprises, avec leur historique et leurs "
        "événements. Chaque recherche est journalisée avec la procédure ; sans procédure, 422 `procedure-"
        "requise`."
    ),
)
async def rechercher(
    corps: Recherche, autorite: CurrentAutorite, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Resultat:
    return Resultat(declarations=await service.rechercher(session, registre, autorite, corps, now=now))


@router.get(
    "/declarations/{declaration_id}/pieces/{piece_id}",
    summary=("Une pièce, pour une procédure"),
    response_class=Response,
    responses={
        **fichier("application/pdf", "image/jpeg", "image/png", description="La pièce, telle que déposée"),
        **error_responses(Authentification, Interdit, Introuvable, Unprocessable),
    },
    description=(
        "Les octets d'une pièce justificative, sur réquisition pour la procédure indiquée "
        "(`juridiction`, `numero`) ; journalisé."
    ),
)
async def telecharger_piece(
    declaration_id: IdChemin,
    piece_id: IdChemin,
    juridiction: Annotated[str, Query(min_length=1, max_length=200)],
    numero: Annotated[str, Query(min_length=1, max_length=100)],
    autorite: CurrentAutorite,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    row, contenu = await service.piece(
        session,
        registre,
        autorite,
        juridiction=juridiction,
        numero=numero,
        declaration_id=declaration_id,
        piece_id=piece_id,
        now=now,
    )
    return Response(contenu, media_type=row.media_type, headers={"Cache-Control": "no-store"})
