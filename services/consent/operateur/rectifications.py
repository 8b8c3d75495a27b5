"""The operator's review of rectifications (identity or domicile with new proofs).

The rectification's content and proofs are read with the declaration (`GET /operateur/declarations/{id}`:
`rectification`, and `pieces` whose `version` is its number; each proof by
`GET /operateur/declarations/{id}/pieces/{piece_id}`); the decision is logged and told to the declarant.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, tuple_

from services.consent.declarations import rectification, repository
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.errors import EtatIncompatible
from services.consent.models import Declaration, Version
from shared.auth import CurrentOperateur
from shared.bornes import CURSEUR_MAX, IdChemin
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


class DecisionRectification(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["acceptee", "rejetee"]
    motif: Annotated[str, Field(min_length=1, max_length=1000)]


class RectificationDecidee(BaseModel):
    id: str
    version: int
    examen: str
    decidee_le: datetime
    version_en_vigueur: int = Field(description="La version d'après laquelle le registre répond désormais.")


def _curseur(v: Version) -> str:
    instant = v.soumise_le or v.creee_le
    return base64.urlsafe_b64encode(f"{instant.isoformat()}|{v.id}".encode()).decode()


def _lire_curseur(curseur: str) -> tuple[datetime, int]:
    try:
        instant, _, ident = base64.urlsafe_b64decode(curseur.encode()).decode().partition("|")
        return datetime.fromisoformat(instant), int(ident)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Unprocessable("Curseur invalide.") from exc


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
    session: SessionDep,
    apres: Annotated[str | None, Query(max_length=CURSEUR_MAX)] = None,
    limite: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageRectifications:
    stmt = (
        select(Version, Declaration.numero)
        .join(Declaration, Declaration.id == Version.declaration_id)
        .where(Version.examen == rectification.ATTENTE)
    )
    if apres:
        stmt = stmt.where(tuple_(Version.soumise_le, Version.id) > tuple_(*_lire_curseur(apres)))
    lignes = (await session.execute(stmt.order_by(Version.soumise_le, Version.id).limit(limite + 1))).all()
    page = lignes[:limite]
    return PageRectifications(
        elements=[
            RectificationAVerifier(
                declaration_id=v.declaration_id, numero=numero, version=v.numero, soumise_le=v.soumise_le
            )
            for v, numero in page
        ],
        suivant=_curseur(page[-1][0]) if len(lignes) > limite else None,
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
    corps: DecisionRectification,
    operateur: CurrentOperateur,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> RectificationDecidee:
    declaration = await repository.charger(session, declaration_id, verrou=True)
    decidee = await rectification.decider(
        session,
        registre,
        declaration,
        version,
        corps.decision,
        corps.motif,
        now=now,
        acteur=f"operateur:{operateur.sub}",
    )
    return RectificationDecidee(
        id=declaration.id,
        version=decidee.numero,
        examen=str(decidee.examen),
        decidee_le=now,
        version_en_vigueur=declaration.version_courante,
    )
