"""`POST /notify/v1/interne/codes` (role `service`, from consent): e-mail a one-time code now;
`POST /notify/v1/interne/verrouillages`: tell an account's owner it locked;
`POST /notify/v1/interne/declarations/avis`: tell the declarant what became of her declaration.

Only the fact that a code was sent is stored (purpose, instant, Message-ID): never the code, never
the address. A transport failure answers 503 so consent can tell the person to try again.
"""

from __future__ import annotations

from datetime import date, datetime
from email.message import EmailMessage
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.courriel import repository
from services.notify.courriel.mailer import EnvoiImpossible
from services.notify.courriel.messages import (
    AvisDeclaration,
    avis_declaration,
    code_a_usage_unique,
    compte_verrouille,
)
from services.notify.dependencies import NotifyDep
from services.notify.runtime import NotifyRuntime
from shared.auth import CurrentService
from shared.bornes import Email
from shared.db import SessionDep
from shared.errors import ServiceIndisponible, error_responses
from shared.territoire import FUSEAU_METROPOLE

router = APIRouter(prefix="/notify/v1/interne", tags=["interne"])


class CodeAEnvoyer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    code: str = Field(max_length=12, pattern=r"^[0-9A-Za-z]{4,12}$")
    objet: Literal["confirmation", "connexion", "reinitialisation"]


class CodeEnvoye(BaseModel):
    envoye_le: datetime


@router.post(
    "/codes", status_code=202, response_model=CodeEnvoye, responses=error_responses(ServiceIndisponible)
)
async def envoyer_code(
    corps: CodeAEnvoyer, _service: CurrentService, session: SessionDep, notify: NotifyDep
) -> CodeEnvoye:
    now = notify.clock.now()
    message = code_a_usage_unique(
        code=corps.code,
        objet=corps.objet,
        expediteur=notify.settings.mail_from,
        destinataire=str(corps.email),
        maintenant=now,
    )
    return await _envoyer(session, notify, message, corps.objet, now=now)


async def _envoyer(
    session: AsyncSession, notify: NotifyRuntime, message: EmailMessage, objet: str, *, now: datetime
) -> CodeEnvoye:
    """Send now (a transport failure is a 503) and record only that it was sent."""
    try:
        await notify.mailer.send(message)
    except EnvoiImpossible as exc:
        raise ServiceIndisponible("Le message n'a pas pu être envoyé ; réessayez.") from exc
    repository.noter_envoi(
        session, objet=objet, envoye_le=now, message_id=str(message["Message-ID"]).strip("<>")
    )
    return CodeEnvoye(envoye_le=now)


class Verrouillage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    jusqu_au: datetime
    fuseau: str = Field(FUSEAU_METROPOLE, max_length=64, description="Her legal time zone (IANA).")

    @field_validator("fuseau")
    @classmethod
    def _zone_connue(cls, valeur: str) -> str:
        try:
            ZoneInfo(valeur)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ValueError("fuseau inconnu") from exc
        return valeur


@router.post(
    "/verrouillages",
    status_code=202,
    response_model=CodeEnvoye,
    responses=error_responses(ServiceIndisponible),
)
async def prevenir_verrouillage(
    corps: Verrouillage, _service: CurrentService, session: SessionDep, notify: NotifyDep
) -> CodeEnvoye:
    now = notify.clock.now()
    message = compte_verrouille(
        jusqu_au=corps.jusqu_au,
        expediteur=notify.settings.mail_from,
        destinataire=str(corps.email),
        maintenant=now,
        fuseau=corps.fuseau,
    )
    return await _envoyer(session, notify, message, "verrouillage", now=now)


class AvisAuDeclarant(BaseModel):
    """What consent tells the declarant of her declaration (no identity: her number, the facts)."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    sujet: Literal[
        "acceptee", "rejetee", "fin_prochaine", "revoquee", "rectification_acceptee", "rectification_rejetee"
    ]
    numero: str = Field(max_length=32)
    instant: datetime
    fuseau: str = Field(FUSEAU_METROPOLE, max_length=64)
    motif: str | None = Field(None, max_length=2000)
    fin: date | None = None

    @field_validator("fuseau")
    @classmethod
    def _zone_connue(cls, valeur: str) -> str:
        try:
            ZoneInfo(valeur)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ValueError("fuseau inconnu") from exc
        return valeur


@router.post(
    "/declarations/avis",
    status_code=202,
    response_model=CodeEnvoye,
    responses=error_responses(ServiceIndisponible),
)
async def avis_au_declarant(
    corps: AvisAuDeclarant, _service: CurrentService, session: SessionDep, notify: NotifyDep
) -> CodeEnvoye:
    """E-mail the declarant: her declaration accepted, rejected (with the motif and what to do), ending
    in 30 days, or revoked. Sent now (a transport failure is a 503: consent's job retries)."""
    now = notify.clock.now()
    base = notify.settings.public_url.rstrip("/")
    message = avis_declaration(
        AvisDeclaration(
            sujet=corps.sujet,
            numero=corps.numero,
            instant=corps.instant,
            fuseau=corps.fuseau,
            adresse_espace=f"{base}/coffre/retrait",
            adresse_declaration=f"{base}/consent/declaration",
            adresse_gestion=f"{base}/consent/espace",
            motif=corps.motif,
            fin=corps.fin,
        ),
        expediteur=notify.settings.mail_from,
        destinataire=str(corps.email),
        maintenant=now,
    )
    return await _envoyer(session, notify, message, f"declaration.{corps.sujet}", now=now)
