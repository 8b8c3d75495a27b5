"""From the destinataire's space to her personal space at consent (her declarations: all her data,
history, rectification, revocation) without signing in again.

POST `declarations` (this site's form, signed in, session live at consent): the coffre asks consent
for a one-time ticket for her consent session (`services.consent.comptes.passage`) and answers a page
whose one button posts it to `/consent/espace/passage` (no script, so one click; the ticket never
goes into a URL). Same origin only: where the two services have different public origins, consent
refuses the ticket and she signs in there as usual.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.coffre.dependencies import CoffreDep
from services.coffre.retrait import parcours
from services.coffre.retrait.connexion import ConsentInjoignable
from services.coffre.retrait.espace import PORTE, ConnecteeDep
from services.coffre.retrait.pages import page_html

router = APIRouter(prefix="/coffre/retrait", include_in_schema=False)


@router.post("/declarations")
async def vers_declarations(request: Request, coffre: CoffreDep, c: ConnecteeDep) -> Response:
    try:
        ticket = await coffre.retrait.client.passage(c.sid)
    except ConsentInjoignable:
        return parcours.retour(request, coffre, PORTE, "injoignable")
    if ticket is None:
        return parcours.retour(request, coffre, PORTE, "session")
    reponse = page_html("passage.html", titre="Mes déclarations", ticket=ticket)
    reponse.headers["Cache-Control"] = "no-store"
    return reponse
