"""Operator endpoints: queue, full view, proofs, decision. Every read and decision is logged."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from services.consent.declarations.schemas import DeclarationLue
from services.consent.dependencies import LectureDep, NowDep, RegistreDep, SessionDep
from services.consent.errors import EtatIncompatible
from services.consent.operateur import repository, service
from services.consent.operateur.schemas import Decision
from shared import pagination
from shared.auth import CurrentOperateur
from shared.bornes import IdChemin
from shared.errors import Authentification, Interdit, Introuvable, error_responses
from shared.openapi import fichier

router = APIRouter(prefix="/consent/v1/operateur", tags=["opérateur"])
Statut = Literal["en_attente_confirmation", "en_attente_verification", "active", "rejetee", "revoquee"]


class Resume(BaseModel):
    id: str
    numero: str
    type_personne: str
    statut: str
    declaree_le: datetime
    soumise_le: datetime | None


class Page(BaseModel):
    elements: list[Resume]
    suivant: str | None


class Decidee(BaseModel):
    id: str
    statut: str
    decidee_le: datetime


@router.get(
    "/declarations",
    summary=("File des déclarations à vérifier"),
    response_model=Page,
    responses=error_responses(Authentification, Interdit),
    description=(
        "Les déclarations par statut (`en_attente_verification` par défaut), paginées, pour l'opérateur "
        "du registre. Sans effet."
    ),
)
async def file(
    operateur: CurrentOperateur,
    session: LectureDep,
    statut: Statut = "en_attente_verification",
    apres: pagination.Apres = None,
    limite: pagination.Limite = 50,
) -> Page:
    lignes = await repository.file_declarations(
        session, statut=statut, apres=pagination.lire(apres, str) if apres else None, limite=limite + 1
    )
    elements, suivant = pagination.page(lignes, limite, lambda d: (d.declaree_le, d.id))
    return Page(elements=[Resume.model_validate(d, from_attributes=True) for d in elements], suivant=suivant)


@router.get(
    "/declarations/{declaration_id}",
    summary=("Une déclaration, pour vérification"),
    response_model=DeclarationLue,
    responses=error_responses(Authentification, Interdit, Introuvable),
    description=(
        "La déclaration entière avec ses pièces (métadonnées) ; la lecture est journalisée au nom de "
        "l'opérateur."
    ),
)
async def detail(
    declaration_id: IdChemin,
    operateur: CurrentOperateur,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> DeclarationLue:
    return await service.lire(session, registre, declaration_id, acteur=f"operateur:{operateur.sub}", now=now)


@router.get(
    "/declarations/{declaration_id}/pieces/{piece_id}",
    summary=("Une pièce justificative"),
    response_class=Response,
    responses={
        **fichier("application/pdf", "image/jpeg", "image/png", description="La pièce, telle que déposée"),
        **error_responses(Authentification, Interdit, Introuvable),
    },
    description="Les octets de la pièce, déchiffrés ; la lecture est journalisée au nom de l'opérateur.",
)
async def piece(
    declaration_id: IdChemin,
    piece_id: IdChemin,
    operateur: CurrentOperateur,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    row, contenu = await service.lire_piece(
        session, registre, declaration_id, piece_id, acteur=f"operateur:{operateur.sub}", now=now
    )
    return Response(contenu, media_type=row.media_type, headers={"Cache-Control": "no-store"})


@router.post(
    "/declarations/{declaration_id}/decision",
    summary=("Accepter ou rejeter une déclaration"),
    response_model=Decidee,
    responses=error_responses(Authentification, Interdit, Introuvable, EtatIncompatible),
    description=(
        "`acceptee` : la déclaration devient `active` et vaut consentement dès cet instant pour ses "
        "natures et sa période ; `rejetee` (avec un `motif`) : elle ne vaudra jamais. Décision "
        "journalisée, le déclarant est prévenu."
    ),
)
async def decider(
    declaration_id: IdChemin,
    corps: Decision,
    operateur: CurrentOperateur,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Decidee:
    declaration = await service.decider(
        session,
        registre,
        declaration_id,
        corps.decision,
        corps.motif,
        acteur=f"operateur:{operateur.sub}",
        now=now,
    )
    return Decidee(id=declaration.id, statut=declaration.statut, decidee_le=now)


class SessionsTerminees(BaseModel):
    id: str
    sessions_terminees: int


@router.post(
    "/declarations/{declaration_id}/sessions/fin",
    summary=("Terminer les sessions du déclarant"),
    response_model=SessionsTerminees,
    responses=error_responses(Authentification, Interdit, Introuvable),
    description=(
        "Met fin tout de suite à toutes les sessions ouvertes sur cette déclaration (espace personnel et "
        "API), par exemple sur signalement d'une compromission. Journalisé."
    ),
)
async def terminer_sessions(
    declaration_id: IdChemin,
    operateur: CurrentOperateur,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> SessionsTerminees:
    """End at once every session on this declaration: those opened with its management token and
    every session of its declarant (personal space, API, coffre retrieval pages). Logged."""
    nombre = await service.terminer_sessions(
        session, registre, declaration_id, acteur=f"operateur:{operateur.sub}", now=now
    )
    return SessionsTerminees(id=declaration_id, sessions_terminees=nombre)
