"""The répertoire's public endpoints (same shapes as consent's `/journal/...`) and the seal JWKS.

No personal data is served here: leaves hold ids, hashes and instants only (see `repertoire`).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from services.coffre.dependencies import CoffreDep, coffre_de
from services.coffre.journal.repertoire import instant
from services.coffre.models import RepertoireHorodatage
from shared.bornes import IndexJournal, TailleJournal
from shared.crypto.jws import jwks
from shared.db import SessionDep
from shared.errors import Introuvable, error_responses
from shared.schemas import Jwks
from shared.translog.api import JournalPublic, journal_router

router = APIRouter(prefix="/coffre/v1", tags=["répertoire"])


def _repertoire(request: Request) -> JournalPublic:
    repertoire = coffre_de(request).repertoire
    return JournalPublic(repertoire.log, repertoire.signer, repertoire.origin)


#: The four `/journal/...` reads, shared with consent's registry log.
journal = journal_router("/coffre/v1/journal", _repertoire, tag="répertoire")


@router.get(
    "/.well-known/jwks.json",
    summary=("Clés publiques du sceau de la plateforme"),
    response_model=Jwks,
    description=(
        "Les clés publiques du sceau de la plateforme (JWKS), en vigueur et retirées, par `kid` : elles "
        "vérifient les avis de réception (JWS) et les PDF scellés, même anciens. Publique."
    ),
)
async def cles_sceau(coffre: CoffreDep) -> dict[str, Any]:
    coffre = coffre
    return jwks([coffre.sceau.private_key.public_key(), *coffre.sceaux_retires])


_MAX_HORODATAGES = 1000


class HorodatageResume(BaseModel):
    taille: int = Field(description="Taille de l'arbre que le checkpoint signe.")
    cree_le: str = Field(description="Instant de l'horodatage (RFC 3339, UTC).")
    checkpoint_sha256: str = Field(description="SHA-256 (hex) de la note signée, ce que le jeton horodate.")
    url: str


class Horodatages(BaseModel):
    elements: list[HorodatageResume]


class HorodatageCheckpoint(BaseModel):
    taille: int
    cree_le: str
    checkpoint: str = Field(description="La note signée (C2SP signed note), texte exact.")
    jeton: str = Field(description="TimeStampResp RFC 3161 (DER, base64) sur le SHA-256 de la note.")


@router.get(
    "/journal/horodatages",
    summary="Les checkpoints du répertoire horodatés (RFC 3161), du plus ancien au plus récent",
    response_model=Horodatages,
    description=(
        "Chaque heure, et à chaque lot de preuves, le checkpoint signé du répertoire est horodaté par "
        "l'autorité d'horodatage (jeton RFC 3161 sur le SHA-256 de la note) : un tiers date ainsi "
        "l'état du journal. `depuis` : la taille d'arbre à partir de laquelle lister (1 000 au plus)."
    ),
)
async def horodatages(session: SessionDep, depuis: IndexJournal = 0) -> dict[str, Any]:
    lignes = (
        await session.scalars(
            select(RepertoireHorodatage)
            .where(RepertoireHorodatage.taille >= depuis)
            .order_by(RepertoireHorodatage.taille, RepertoireHorodatage.id)
            .limit(_MAX_HORODATAGES)
        )
    ).all()
    return {
        "elements": [
            {
                "taille": h.taille,
                "cree_le": instant(h.cree_le),
                "checkpoint_sha256": hashlib.sha256(h.checkpoint.encode("utf-8")).hexdigest(),
                "url": f"/coffre/v1/journal/horodatages/couvrant?taille={h.taille}",
            }
            for h in lignes
        ]
    }


@router.get(
    "/journal/horodatages/couvrant",
    summary="Le premier checkpoint horodaté dont l'arbre contient `taille` feuilles ou plus",
    response_model=HorodatageCheckpoint,
    description=(
        "La note signée (C2SP) et le jeton RFC 3161 (DER, base64) sur son SHA-256 : "
        "`openssl ts -verify -digest <sha256 de la note> -in jeton.tsr -CAfile racine.pem`. "
        "404 `introuvable` tant qu'aucun checkpoint horodaté ne couvre cette taille."
    ),
    responses=error_responses(Introuvable),
)
async def horodatage_couvrant(session: SessionDep, taille: TailleJournal) -> dict[str, Any]:
    ligne = (
        await session.scalars(
            select(RepertoireHorodatage)
            .where(RepertoireHorodatage.taille >= taille)
            .order_by(RepertoireHorodatage.taille, RepertoireHorodatage.id)
            .limit(1)
        )
    ).first()
    if ligne is None:
        raise Introuvable("Aucun checkpoint horodaté ne couvre encore cette taille.")
    return {
        "taille": ligne.taille,
        "cree_le": instant(ligne.cree_le),
        "checkpoint": ligne.checkpoint,
        "jeton": base64.b64encode(ligne.jeton).decode("ascii"),
    }
