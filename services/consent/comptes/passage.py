"""From the destinataire's space (the coffre, `/coffre/retrait`) to her personal space here, without
signing in again: a one-time ticket.

The coffre, for a browser signed in there (its own CSRF-checked POST), asks for a ticket for its live
consent session (`POST /consent/v1/interne/destinataires/sessions/{sid}/passage`, service token). The
ticket is a `passage` session row (`comptes.sessions`): 256 random bits given once, only its SHA-256
stored, naming the person, valid `DUREE`. The browser posts it to `POST /consent/espace/passage`
(`pages.passage`), same-origin only, which ends it at once and opens her `espace` session. It never
travels in a URL (no logs, no referrer), and ends with her other sessions (sign-out, reset, revocation).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.consent.comptes import sessions
from services.consent.dependencies import NowDep, SessionDep
from shared.auth import CurrentService
from shared.bornes import IdChemin
from shared.errors import Interdit, Introuvable, error_responses

DUREE = timedelta(minutes=2)
interne = APIRouter(prefix="/consent/v1/interne/destinataires", tags=["interne"])


class Passage(BaseModel):
    ticket: str = Field(
        description="À remettre une fois, dans les deux minutes, à `POST /consent/espace/passage`."
    )


@interne.post(
    "/sessions/{sid}/passage",
    response_model=Passage,
    responses=error_responses(Introuvable, Interdit),
)
async def passage(sid: IdChemin, _service: CurrentService, session: SessionDep, now: NowDep) -> Passage:
    """A one-time ticket to the personal space for the person of a live coffre session; 404 when the
    session has ended or expired."""
    ligne = await sessions.par_id(session, sid, genre="coffre", now=now)
    if ligne is None or ligne.personne_id is None:
        raise Introuvable("Session terminée ou expirée.")
    duree = min(DUREE, ligne.expire_le - now)
    _, secret = await sessions.ouvrir(
        session, genre="passage", now=now, duree=duree, personne_id=ligne.personne_id
    )
    return Passage(ticket=secret)
