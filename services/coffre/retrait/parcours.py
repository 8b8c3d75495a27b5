"""The sign-in steps, the same from a link's page and from the space: password, code, back, sign-out.

`Porte` says where a step happens: the record's binding (a link's `jeton_hash`, or `session.ESPACE`),
the page to go back to and, on a link, the declaration the person must hold. Each step reads the
form, checks origin and CSRF (`pages.post_valide`) and the sign-in rate limits, calls consent
(`connexion.DestinataireClient`), then stores the browser's new record in its own short transaction
once consent has answered (no transaction is held across the call) and redirects (303) to the page,
an error code in the query string when it failed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from services.coffre.contexte import Coffre
from services.coffre.retrait import session as sess
from services.coffre.retrait.connexion import ConnexionRefusee, ConsentInjoignable
from services.coffre.retrait.pages import (
    MESSAGES,
    avec_cookie,
    fermer,
    formulaire,
    limite_connexions,
    navigateur,
    post_valide,
)


@dataclass(frozen=True)
class Porte:
    #: The `lien_hash` the browser's record is bound to (a link's, or `session.ESPACE`).
    cle: str
    #: The page the steps go back to.
    adresse: str
    #: On a link: the declaration the signed-in person must hold (else `autre-destinataire`).
    declaration: str | None = None


#: A step: what a POST of its form does.
Etape = Callable[[Request, Coffre, Porte], Awaitable[Response]]


def retour(
    request: Request,
    coffre: Coffre,
    porte: Porte,
    erreur: str | None = None,
    nav: sess.Navigateur | None = None,
) -> Response:
    url = porte.adresse + (f"?erreur={erreur}" if erreur else "")
    reponse = RedirectResponse(url, status_code=303)
    reponse.headers["Cache-Control"] = "no-store"
    return reponse if nav is None else avec_cookie(request, coffre, reponse, nav)


def _refus(exc: ConnexionRefusee) -> str:
    return exc.code if exc.code in MESSAGES else "authentification"


async def connexion(request: Request, coffre: Coffre, porte: Porte) -> Response:
    """E-mail and password: consent sends a one-time code; the record names consent's challenge."""
    now = coffre.clock.now()
    champs = await formulaire(request)
    nav = await navigateur(request, coffre, porte.cle)
    if not post_valide(request, coffre, nav, champs):
        return retour(request, coffre, porte, "csrf")
    if not limite_connexions(request, coffre, nav, now):
        return retour(request, coffre, porte, "trop-de-requetes")
    try:
        defi = await coffre.retrait.client.commencer(
            champs.get("email", "")[:320], champs.get("mot_de_passe", "")[:512]
        )
    except ConnexionRefusee as exc:
        return retour(request, coffre, porte, _refus(exc))
    except ConsentInjoignable:
        return retour(request, coffre, porte, "injoignable")
    async with coffre.db.transaction() as session:
        nav = await sess.remplacer(session, nav, porte.cle, now=now, defi_id=defi)
    return retour(request, coffre, porte, nav=nav)


async def code(request: Request, coffre: Coffre, porte: Porte) -> Response:
    """The one-time code: consent answers the person; the record names her, her declarations and
    consent's session. On a link, a person who does not hold the link's declaration is signed out."""
    now = coffre.clock.now()
    champs = await formulaire(request)
    nav = await navigateur(request, coffre, porte.cle)
    defi_id = nav.ligne.defi_id if nav.ligne is not None else None
    if defi_id is None or not post_valide(request, coffre, nav, champs):
        return retour(request, coffre, porte, "csrf")
    if not limite_connexions(request, coffre, nav, now):
        return retour(request, coffre, porte, "trop-de-requetes")
    client = coffre.retrait.client
    try:
        _jwt, personne = await client.confirmer(defi_id, champs.get("code", "")[:32], now=now)
    except ConnexionRefusee as exc:
        return retour(request, coffre, porte, _refus(exc))
    except ConsentInjoignable:
        return retour(request, coffre, porte, "injoignable")
    if porte.declaration is not None and porte.declaration not in personne.declarations:
        await client.terminer(personne.sid)
        return retour(request, coffre, porte, "autre-destinataire", nav=await fermer(coffre, nav))
    async with coffre.db.transaction() as session:
        nav = await sess.remplacer(
            session,
            nav,
            porte.cle,
            now=now,
            sub=personne.sub,
            declarations=personne.declarations,
            session_consent=personne.sid,
        )
    return retour(request, coffre, porte, nav=nav)


async def recommencer(request: Request, coffre: Coffre, porte: Porte) -> Response:
    """The way back from the code step (a mistyped address or password): the pending step ends."""
    champs = await formulaire(request)
    nav = await navigateur(request, coffre, porte.cle)
    if not post_valide(request, coffre, nav, champs):
        return retour(request, coffre, porte, "csrf")
    return retour(request, coffre, porte, nav=await fermer(coffre, nav))


async def deconnexion(request: Request, coffre: Coffre, porte: Porte) -> Response:
    """Sign-out: the coffre's record and consent's session end now; the old cookie opens nothing."""
    champs = await formulaire(request)
    nav = await navigateur(request, coffre, porte.cle)
    if not post_valide(request, coffre, nav, champs):
        return retour(request, coffre, porte, "csrf")
    if nav.ligne is not None and nav.ligne.session_consent is not None:
        # The coffre's record ends anyway, and consent's session expires on its own.
        with contextlib.suppress(ConnexionRefusee, ConsentInjoignable):
            await coffre.retrait.client.terminer(nav.ligne.session_consent)
    return retour(request, coffre, porte, nav=await fermer(coffre, nav))
