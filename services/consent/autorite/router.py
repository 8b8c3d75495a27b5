"""`POST /autorite/recherches` and `GET /autorite/declarations/{id}/pieces/{piece_id}`.

Purpose binding: every call names the procedure (juridiction + numéro), else 422; it is logged
(`consent_recherches_autorite` + a log leaf with a keyed hash of the procedure). The answer holds
every declaration of the person still within retention (revoked ones included) with its full version
history and events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.autorite.procedure import reference_procedure
from services.consent.consultations.schemas import Identite
from services.consent.consultations.service import forme
from services.consent.declarations import pieces, repository
from services.consent.declarations.schemas import DeclarationLue
from services.consent.declarations.vue import contenu_version, vue
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.journal.service import consigner
from services.consent.models import Declaration, Evenement, Piece, RechercheAutorite
from services.consent.registre import Registre
from shared.auth import Autorite, CurrentAutorite
from shared.bornes import IdChemin
from shared.crypto.aead import decrypt
from shared.errors import Authentification, Interdit, Introuvable, Unprocessable, error_responses
from shared.openapi import fichier

router = APIRouter(prefix="/consent/v1/autorite", tags=["autorité judiciaire"])
Texte = Annotated[str, Field(min_length=1, max_length=200)]


class Procedure(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    juridiction: Texte
    numero: Annotated[str, Field(min_length=1, max_length=100)]


class Recherche(BaseModel):
    model_config = ConfigDict(extra="forbid")
    procedure: Procedure
    destinataire: Identite | None = None
    declaration_id: Annotated[str, Field(max_length=36)] | None = None

    @model_validator(mode="after")
    def _une_cible(self) -> Recherche:
        if (self.destinataire is None) == (self.declaration_id is None):
            raise ValueError("donner `destinataire` ou `declaration_id`")
        return self


_CONTENU = WithJsonSchema(
    {
        "type": "object",
        "properties": {
            "personne": {
                "oneOf": [
                    {"$ref": "#/components/schemas/PersonnePhysique"},
                    {"$ref": "#/components/schemas/PersonneMorale"},
                ]
            },
            "contact": {"$ref": "#/components/schemas/Contact"},
            "natures": {"type": "array", "items": {"type": "string"}},
            "debut": {"type": "string", "format": "date"},
            "fin": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
        },
        "additionalProperties": True,
        "description": "Le contenu de la version, tel que déclaré (`personne` selon son `type`).",
    }
)


class VersionComplete(BaseModel):
    numero: int
    creee_le: datetime
    engagement: str
    contenu: Annotated[dict[str, Any], _CONTENU]
    examen: str | None = Field(
        None,
        description="null : version en vigueur dès sa création. Une rectification d'identité ou de "
        "domicile : `en_attente_verification` (jamais en vigueur tant qu'elle attend), `acceptee` (en "
        "vigueur depuis `decidee_le`) ou `rejetee` (jamais en vigueur).",
    )
    decidee_le: datetime | None = None


class EvenementLu(BaseModel):
    type: str
    survenu_le: datetime
    acteur: str
    detail: Annotated[
        dict[str, Any],
        WithJsonSchema(
            {
                "type": "object",
                "additionalProperties": True,
                "description": "Les détails propres au type d'événement (jamais une pièce ni un secret).",
            }
        ),
    ]


class DeclarationAutorite(DeclarationLue):
    decision: str | None
    motif_decision: str | None
    historique: list[VersionComplete]
    evenements: list[EvenementLu]


class Resultat(BaseModel):
    declarations: list[DeclarationAutorite]


async def _journaliser(
    session: AsyncSession,
    registre: Registre,
    autorite: Autorite,
    procedure: Procedure,
    *,
    objet: str,
    ids: list[str],
    piece_id: str | None,
    now: datetime,
) -> None:
    reference = reference_procedure(registre, procedure)
    ligne = RechercheAutorite(
        faite_le=now,
        autorite=autorite.sub,
        juridiction=autorite.juridiction,
        procedure_juridiction=procedure.juridiction,
        procedure_numero=procedure.numero,
        objet=objet,
        declaration_ids=ids,
        piece_id=piece_id,
    )
    session.add(ligne)
    await consigner(
        session,
        registre,
        f"autorite.{objet}",
        now=now,
        ligne=ligne,
        autorite=autorite.sub,
        procedure=reference,
        declaration_ids=ids,
        piece_id=piece_id,
        # a single-declaration query is part of that declaration's history (registre bundles)
        **({"declaration_id": ids[0]} if len(ids) == 1 else {}),
    )


async def _complete(
    session: AsyncSession, registre: Registre, declaration: Declaration, now: datetime
) -> DeclarationAutorite:
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    base = await vue(session, registre, declaration, now)
    evenements = (
        (
            await session.execute(
                select(Evenement).where(Evenement.declaration_id == declaration.id).order_by(Evenement.id)
            )
        )
        .scalars()
        .all()
    )
    motif = (
        decrypt(
            dek, declaration.motif_chiffre, context=chiffrement.contexte(declaration.id, "motif")
        ).decode()
        if declaration.motif_chiffre
        else None
    )
    return DeclarationAutorite(
        **base.model_dump(),
        decision=declaration.decision,
        motif_decision=motif,
        historique=[
            VersionComplete(
                numero=v.numero,
                creee_le=v.creee_le,
                engagement=v.engagement,
                contenu=contenu_version(dek, v),
                examen=v.examen,
                decidee_le=v.decidee_le,
            )
            for v in await repository.versions(session, declaration.id)
        ],
        evenements=[EvenementLu.model_validate(e, from_attributes=True) for e in evenements],
    )


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
    if corps.destinataire is not None:
        index = registre.indexeur.identite(forme(corps.destinataire))
        stmt = select(Declaration).where(Declaration.identite_index == index)
    else:
        stmt = select(Declaration).where(Declaration.id == corps.declaration_id)
    declarations = (await session.execute(stmt.order_by(Declaration.declaree_le))).scalars().all()
    ids = [d.id for d in declarations]
    await _journaliser(
        session, registre, autorite, corps.procedure, objet="recherche", ids=ids, piece_id=None, now=now
    )
    return Resultat(declarations=[await _complete(session, registre, d, now) for d in declarations])


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
    row = await session.get(Piece, piece_id)
    if row is None or row.declaration_id != declaration_id:
        raise Introuvable("Pièce introuvable.")
    contenu = await pieces.contenu_clair(session, registre, row)
    procedure = Procedure(juridiction=juridiction, numero=numero)
    await _journaliser(
        session,
        registre,
        autorite,
        procedure,
        objet="piece",
        ids=[declaration_id],
        piece_id=piece_id,
        now=now,
    )
    return Response(contenu, media_type=row.media_type, headers={"Cache-Control": "no-store"})
