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
from services.coffre.retrait.connexion import ConsentInjoignable
from services.coffre.retrait.espace import _connectee, _vers
from services.coffre.retrait.pages import formulaire, page_html

router = APIRouter(prefix="/coffre/retrait", include_in_schema=False)


@router.post("/declarations")
async def vers_declarations(request: Request, coffre: CoffreDep) -> Response:
    champs = await formulaire(request)
    connectee = await _connectee(request, coffre, champs)
    if isinstance(connectee, Response):
        return connectee
    nav, _vivante = connectee
    ligne = nav.ligne
    sid = ligne.session_consent if ligne is not None else None
    if sid is None:  # _connectee checked it; kept for the type checker
        return _vers(request, coffre, "session")
    try:
        ticket = await coffre.retrait.client.passage(sid)
    except ConsentInjoignable:
        return _vers(request, coffre, "injoignable")
    if ticket is None:
        return _vers(request, coffre, "session")
    reponse = page_html("passage.html", titre="Mes déclarations", ticket=ticket)
    reponse.headers["Cache-Control"] = "no-store"
    return reponse
