"""The sign-in steps, the same from a link's page and from the space: password, code, back, sign-out;
and the one check, the same for both, that the browser is still signed in.

`Porte` says where a step happens: the record's binding (a link's `jeton_hash`, or `session.ESPACE`),
the page to go back to and, on a link, the declaration the person must hold. Each step reads the
form, checks origin and CSRF (`pages.post_valide`) and the sign-in rate limits, calls consent
(`connexion.DestinataireClient`), then stores the browser's new record in its own short transaction
once consent has answered (no transaction is held across the call) and redirects (303) to the page,
an error code in the query string when it failed (a refusal before the step's own work is raised,
`shared.pages.PageRefusee`).

Still signed in: a signed-in record (holding, on a link, the link's declaration) whose session consent
says still lives (`DestinataireClient.espace`); a session that ended at consent ends the record too.
`etat` tells a page what to show, `connectee` lets a POST through or refuses it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from services.coffre.contexte import Coffre
from services.coffre.retrait import session as sess
from services.coffre.retrait.connexion import ConnexionRefusee, ConsentInjoignable, SessionVivante
from services.coffre.retrait.pages import (
    MESSAGES,
    avec_cookie,
    fermer,
    formulaire,
    limite_connexions,
    navigateur,
    post_valide,
)
from shared.pages import PageRefusee


@dataclass(frozen=True)
class Porte:
    #: The `lien_hash` the browser's record is bound to (a link's, or `session.ESPACE`).
    cle: str
    #: The page the steps go back to.
    adresse: str
    #: On a link: the declaration the signed-in person must hold (else `autre-destinataire`).
    declaration: str | None = None
    #: The error of a POST that needs a signed-in browser from one that is not (`connectee`).
    sans_session: str = "session"


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


async def _poste(request: Request, coffre: Coffre, porte: Porte) -> tuple[dict[str, str], sess.Navigateur]:
    """The form and the browser of a POST from this site's own page (else its redirect, raised)."""
    champs = await formulaire(request)
    nav = await navigateur(request, coffre, porte.cle)
    if not post_valide(request, coffre, nav, champs):
        raise PageRefusee(retour(request, coffre, porte, "csrf"))
    return champs, nav


def _refus(exc: ConnexionRefusee) -> str:
    return exc.code if exc.code in MESSAGES else "authentification"


async def connexion(request: Request, coffre: Coffre, porte: Porte) -> Response:
    """E-mail and password: consent sends a one-time code; the record names consent's challenge."""
    now = coffre.clock.now()
    champs, nav = await _poste(request, coffre, porte)
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
    champs, nav = await _poste(request, coffre, porte)
    defi_id = nav.ligne.defi_id if nav.ligne is not None else None
    if defi_id is None:
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
    _champs, nav = await _poste(request, coffre, porte)
    return retour(request, coffre, porte, nav=await fermer(coffre, nav))


async def deconnexion(request: Request, coffre: Coffre, porte: Porte) -> Response:
    """Sign-out: the coffre's record and consent's session end now; the old cookie opens nothing."""
    _champs, nav = await _poste(request, coffre, porte)
    if nav.ligne is not None and nav.ligne.session_consent is not None:
        # The coffre's record ends anyway, and consent's session expires on its own.
        with contextlib.suppress(ConnexionRefusee, ConsentInjoignable):
            await coffre.retrait.client.terminer(nav.ligne.session_consent)
    return retour(request, coffre, porte, nav=await fermer(coffre, nav))


async def etat(
    request: Request, coffre: Coffre, porte: Porte, contexte: dict[str, Any]
) -> tuple[sess.Navigateur, SessionVivante | None]:
    """The browser at the porte's page and, if it is still signed in, her session as consent sees it
    now. Sets the page's `etape` (connexion, code, connecte) and, when the session ended or consent
    did not answer, its `erreur`; a session that ended ends the record (a fresh pre-session)."""
    nav = await navigateur(request, coffre, porte.cle)
    contexte["etape"] = "connexion"
    ligne = nav.ligne
    if (
        nav.connecte
        and ligne is not None
        and ligne.session_consent is not None
        and _tient(porte, ligne.declarations)
    ):
        try:
            vivante = await coffre.retrait.client.espace(ligne.session_consent)
        except ConsentInjoignable:
            vivante, contexte["erreur"] = None, MESSAGES["injoignable"]
        if vivante is not None and _tient(porte, vivante.declarations):
            contexte["etape"] = "connecte"
            return nav, vivante
        contexte["erreur"] = contexte.get("erreur") or MESSAGES["session"]
        return await fermer(coffre, nav), None
    if ligne is not None and ligne.defi_id is not None:
        contexte["etape"] = "code"
    return nav, None


def _tient(porte: Porte, declarations: list[str]) -> bool:
    return porte.declaration is None or porte.declaration in declarations


@dataclass(frozen=True)
class Connectee:
    """A POST of a browser still signed in: its form, its record, her session as consent sees it now."""

    champs: dict[str, str]
    nav: sess.Navigateur
    vivante: SessionVivante
    #: Consent's session id.
    sid: str
    #: The person (`sub`).
    personne: str


async def connectee(request: Request, coffre: Coffre, porte: Porte) -> Connectee:
    """This site's own form from a browser still signed in (holding, on a link, its declaration);
    else `PageRefusee` with the redirect to the porte's page and why."""
    champs = await formulaire(request)
    nav = await navigateur(request, coffre, porte.cle)
    ligne = nav.ligne
    if ligne is None or ligne.session_consent is None or not nav.connecte:
        raise PageRefusee(retour(request, coffre, porte, porte.sans_session))
    if not post_valide(request, coffre, nav, champs):
        raise PageRefusee(retour(request, coffre, porte, "csrf"))
    if not _tient(porte, ligne.declarations):
        raise PageRefusee(retour(request, coffre, porte, "autre-destinataire"))
    try:
        vivante = await coffre.retrait.client.espace(ligne.session_consent)
    except ConsentInjoignable:
        raise PageRefusee(retour(request, coffre, porte, "injoignable")) from None
    if vivante is None or not _tient(porte, vivante.declarations):
        raise PageRefusee(retour(request, coffre, porte, "session", nav=await fermer(coffre, nav)))
    return Connectee(champs, nav, vivante, ligne.session_consent, ligne.sub or "")
