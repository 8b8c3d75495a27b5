"""The operator's review of rectifications (identity or domicile with new proofs).

The rectification's content and proofs are read with the declaration (`GET /operateur/declarations/{id}`:
`rectification`, and `pieces` whose `version` is its number; each proof by
`GET /operateur/declarations/{id}/pieces/{piece_id}`); the decision is logged and told to the declarant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from services.consent.declarations import rectification
from services.consent.dependencies import LectureDep, NowDep, RegistreDep, SessionDep
from services.consent.errors import EtatIncompatible
from services.consent.operateur import repository, service
from services.consent.operateur.schemas import Decision
from shared import pagination
from shared.auth import CurrentOperateur
from shared.bornes import IdChemin
from shared.errors import Authentification, Interdit, Introuvable, Unprocessable, error_responses

router = APIRouter(prefix="/consent/v1/operateur", tags=["opérateur"])


class RectificationAVerifier(BaseModel):
    declaration_id: str
    numero: str = Field(description="Le numéro d'enregistrement de la déclaration (`RC-…`).")
    version: int = Field(description="Le numéro de version de la rectification.")
    soumise_le: datetime


class PageRectifications(BaseModel):
    elements: list[RectificationAVerifier]
    suivant: str | None


class RectificationDecidee(BaseModel):
    id: str
    version: int
    examen: str
    decidee_le: datetime
    version_en_vigueur: int = Field(description="La version d'après laquelle le registre répond désormais.")


@router.get(
    "/rectifications",
    summary="File des rectifications à vérifier",
    response_model=PageRectifications,
    responses=error_responses(Authentification, Interdit, Unprocessable),
    description=(
        "Les rectifications d'identité ou de domicile en attente de vérification, les plus anciennes "
        "d'abord, paginées. Sans effet."
    ),
)
async def file_rectifications(
    operateur: CurrentOperateur,
    session: LectureDep,
    apres: pagination.Apres = None,
    limite: pagination.Limite = 50,
) -> PageRectifications:
    lignes = await repository.file_rectifications(
        session,
        examen=rectification.ATTENTE,
        apres=pagination.lire(apres, int) if apres else None,
        limite=limite + 1,
    )
    elements, suivant = pagination.page(
        lignes, limite, lambda ligne: (ligne[0].soumise_le or ligne[0].creee_le, ligne[0].id)
    )
    return PageRectifications(
        elements=[
            RectificationAVerifier(
                declaration_id=v.declaration_id, numero=numero, version=v.numero, soumise_le=v.soumise_le
            )
            for v, numero in elements
        ],
        suivant=suivant,
    )


@router.post(
    "/declarations/{declaration_id}/rectifications/{version}/decision",
    summary="Accepter ou rejeter une rectification",
    response_model=RectificationDecidee,
    responses=error_responses(Authentification, Interdit, Introuvable, EtatIncompatible),
    description=(
        "`acceptee` : l'identité ou le domicile rectifiés entrent en vigueur à cet instant (le registre "
        "répond désormais d'après eux) ; `rejetee` : la version en vigueur reste celle d'avant. Le motif "
        "est conservé chiffré et envoyé au déclarant par courriel. Décision journalisée."
    ),
)
async def decider_rectification(
    declaration_id: IdChemin,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    corps: Decision,
    operateur: CurrentOperateur,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> RectificationDecidee:
    declaration, decidee = await service.decider_rectification(
        session,
        registre,
        declaration_id,
        version,
        corps.decision,
        corps.motif,
        acteur=f"operateur:{operateur.sub}",
        now=now,
    )
    return RectificationDecidee(
        id=declaration.id,
        version=decidee.numero,
        examen=str(decidee.examen),
        decidee_le=now,
        version_en_vigueur=declaration.version_courante,
    )
