"""The way in from the destinataire's space (`/coffre/retrait`) without a second sign-in: the
one-time ticket the coffre obtained for her (`comptes.passage`) opens her personal space."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.consent.comptes import sessions
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.pages import navigateur as nav_
from services.consent.pages.contexte import PagesDep
from shared.pages import origine_refusee

router = APIRouter(prefix="/consent", tags=["pages"], include_in_schema=False)


@router.post("/espace/passage", response_class=HTMLResponse)
async def passage(
    request: Request,
    p: PagesDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    ticket: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Same-origin only; the ticket ends at once (used or not, it is never good twice)."""
    ligne = (
        None
        if origine_refusee(request)
        else await sessions.par_secret(session, ticket, genre="passage", now=now)
    )
    if ligne is None or ligne.personne_id is None:
        erreur = "Ce passage a expiré ou n'est plus valable : connectez-vous ci-dessous."
        return p.page("acces.html", 403, titre="Accéder à ma déclaration", erreurs=[erreur])
    await sessions.terminer(session, ligne, now=now, motif="utilisee")
    p.nav = await nav_.ouvrir_espace(session, registre, p.nav, now=now, personne_id=ligne.personne_id)
    return p.vers("/consent/espace/declarations")
