"""Operator endpoints: queue, full view, proofs, decision. Every read and decision is logged."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, tuple_

from services.consent import chiffrement
from services.consent.comptes import sessions
from services.consent.declarations import avis, pieces, repository
from services.consent.declarations.schemas import DeclarationLue
from services.consent.declarations.service import evenement
from services.consent.declarations.vue import vue
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.errors import EtatIncompatible
from services.consent.models import Declaration, Piece
from shared.auth import CurrentOperateur
from shared.bornes import CURSEUR_MAX, IdChemin
from shared.crypto.aead import encrypt
from shared.errors import Authentification, Interdit, Introuvable, Unprocessable, error_responses
from shared.legal_time import date_destruction
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


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["acceptee", "rejetee"]
    motif: Annotated[str, Field(min_length=1, max_length=1000)]


class Decidee(BaseModel):
    id: str
    statut: str
    decidee_le: datetime


def _curseur(d: Declaration) -> str:
    return base64.urlsafe_b64encode(f"{d.declaree_le.isoformat()}|{d.id}".encode()).decode()


def _lire_curseur(curseur: str) -> tuple[datetime, str]:
    try:
        instant, _, ident = base64.urlsafe_b64decode(curseur.encode()).decode().partition("|")
        return datetime.fromisoformat(instant), ident
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Unprocessable("Curseur invalide.") from exc


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
    session: SessionDep,
    statut: Statut = "en_attente_verification",
    apres: Annotated[str | None, Query(max_length=CURSEUR_MAX)] = None,
    limite: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page:
    stmt = select(Declaration).where(Declaration.statut == statut)
    if apres:
        stmt = stmt.where(tuple_(Declaration.declaree_le, Declaration.id) > tuple_(*_lire_curseur(apres)))
    rows = (
        (await session.execute(stmt.order_by(Declaration.declaree_le, Declaration.id).limit(limite + 1)))
        .scalars()
        .all()
    )
    page = list(rows[:limite])
    return Page(
        elements=[Resume.model_validate(d, from_attributes=True) for d in page],
        suivant=_curseur(page[-1]) if len(rows) > limite else None,
    )


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
    declaration = await repository.charger(session, declaration_id)
    await evenement(
        session, registre, declaration.id, "operateur.lecture", now=now, acteur=f"operateur:{operateur.sub}"
    )
    return await vue(session, registre, declaration, now)


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
    row = await session.get(Piece, piece_id)
    if row is None or row.declaration_id != declaration_id:
        raise Introuvable("Pièce introuvable.")
    contenu = await pieces.contenu_clair(session, registre, row)
    await evenement(
        session,
        registre,
        declaration_id,
        "operateur.piece",
        now=now,
        acteur=f"operateur:{operateur.sub}",
        piece_id=piece_id,
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
    declaration = await repository.charger(session, declaration_id, verrou=True)
    if declaration.statut != "en_attente_verification":
        raise EtatIncompatible("Seule une déclaration en attente de vérification peut être décidée.")
    version = await repository.version_courante(session, declaration)
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    declaration.decision = corps.decision
    declaration.decidee_le = now
    declaration.motif_chiffre = encrypt(
        dek, corps.motif.encode(), context=chiffrement.contexte(declaration.id, "motif")
    )
    if corps.decision == "acceptee":
        declaration.statut = "active"
        declaration.destruction_le = date_destruction(version.fin) if version.fin else None
        await avis.planifier_fin(session, declaration, version, now=now)
    else:
        declaration.statut = "rejetee"
        declaration.destruction_le = date_destruction(repository.jour_local(now, version.fuseau))
    await avis.planifier(session, declaration, corps.decision, now=now)
    await evenement(
        session,
        registre,
        declaration.id,
        f"declaration.{corps.decision}",
        now=now,
        acteur=f"operateur:{operateur.sub}",
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
    declaration = await repository.charger(session, declaration_id, verrou=True)
    nombre = await sessions.terminer_sur(session, declaration, now=now, motif="operateur")
    await evenement(
        session,
        registre,
        declaration.id,
        "sessions.terminees",
        now=now,
        acteur=f"operateur:{operateur.sub}",
        nombre=nombre,
    )
    return SessionsTerminees(id=declaration.id, sessions_terminees=nombre)
