"""What the link pages (`router.py`) and the space (`espace.py`) share: templates, the browser's
session, the cookie, forms, CSRF and rate limits, the error pages. A page refused before its own
work raises `shared.pages.PageRefusee` with the page or redirect that says why.

Built on `shared.pages` (cookie, CSRF, origin check, `Limiteur`). Pages: strict CSP
(`shared.http.STRICT_CSP`), no script at all, one same-origin stylesheet, `no-store`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.coffre.contexte import Coffre
from services.coffre.dependencies import CoffreDep
from services.coffre.errors import ActeIntrouvable
from services.coffre.models import Acte
from services.coffre.reception.prise import telecharger
from services.coffre.retrait import session as sess
from shared.errors import ErreurIntegrite
from shared.http import STRICT_CSP
from shared.pages import (
    PageRefusee,
    adresse_client,
    csrf_valide,
    empreinte,
    nouveau_cookie,
    origine_refusee,
    poser_cookie,
)

ICI = Path(__file__).parent
_TEMPLATES = Environment(
    loader=FileSystemLoader(ICI / "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
)
_MAX_FORM = 4096
MESSAGES = {
    "authentification": "Identifiants ou code incorrects. Vérifiez votre saisie et réessayez.",
    "trop-de-requetes": "Trop de tentatives. Patientez quelques minutes avant de réessayer.",
    "compte-verrouille": (
        "Votre compte est temporairement verrouillé après plusieurs tentatives infructueuses ; un courriel "
        "vous en a informé. Réessayez plus tard."
    ),
    "injoignable": "Le service de connexion est momentanément indisponible. Réessayez.",
    "csrf": "Votre session a expiré. Veuillez recommencer.",
    "session": "Votre session a pris fin. Veuillez vous reconnecter.",
    "autre-destinataire": "Ce lien ne correspond pas au compte avec lequel vous êtes connecté.",
}


def page_html(nom: str, statut: int = 200, **contexte: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(nom).render(**contexte)
    reponse = HTMLResponse(html, status_code=statut)
    reponse.headers["Content-Security-Policy"] = STRICT_CSP
    reponse.headers["Cache-Control"] = "no-store"
    return reponse


def trop() -> HTMLResponse:
    reponse = page_html("introuvable.html", 429, titre="Trop de requêtes", trop=True)
    reponse.headers["Retry-After"] = "600"
    return reponse


def indisponible() -> HTMLResponse:
    """A document whose stored bytes fail their check: nothing is served, nothing recorded."""
    return page_html("introuvable.html", 500, titre="Document momentanément indisponible", integrite=True)


def avec_cookie(request: Request, coffre: Coffre, reponse: Response, nav: sess.Navigateur) -> Response:
    if nav.neuf:
        poser_cookie(
            reponse,
            request,
            sess.COOKIE,
            nav.cookie,
            path=sess.COOKIE_PATH,
            max_age=sess.SESSION_MINUTES * 60,
            production=coffre.settings.env == "production",
        )
    return reponse


def page_du_navigateur(
    request: Request, coffre: Coffre, nav: sess.Navigateur, nom: str, contexte: dict[str, Any]
) -> Response:
    """A page whose forms carry this browser's CSRF value, its cookie set when new."""
    reponse = page_html(nom, **contexte, csrf=nav.csrf(coffre.retrait.cle))
    return avec_cookie(request, coffre, reponse, nav)


async def formulaire(request: Request) -> dict[str, str]:
    corps = await request.body()
    if len(corps) > _MAX_FORM:
        return {}
    valeurs = parse_qs(corps.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {cle: v[0] for cle, v in valeurs.items() if v}


async def navigateur(request: Request, coffre: Coffre, lien_hash: str) -> sess.Navigateur:
    """This browser's state on a link (`lien_hash`) or in the space (`session.ESPACE`)."""
    async with coffre.db.read() as session:
        return await sess.navigateur(session, request.cookies.get(sess.COOKIE), lien_hash, coffre.clock.now())


def post_valide(request: Request, coffre: Coffre, nav: sess.Navigateur, champs: dict[str, str]) -> bool:
    """This site's own form in this browser: origin, then the CSRF value bound to its cookie."""
    if origine_refusee(request) or nav.neuf:
        return False
    return csrf_valide(coffre.retrait.cle, nav.cookie, champs.get("csrf"))


def page_autorisee(request: Request, coffre: Coffre) -> bool:
    """False when this client address had its pages for the window (`limites.py`)."""
    return coffre.retrait.limiteur.autoriser(
        f"page:{adresse_client(request)}", coffre.settings.retrait_pages_par_client, coffre.clock.now()
    )


async def _page_autorisee(request: Request, coffre: CoffreDep) -> None:
    if not page_autorisee(request, coffre):
        raise PageRefusee(trop())


#: This client address still has pages in the window (else the 429 page).
PageAutoriseeDep = Annotated[None, Depends(_page_autorisee)]


def limite_connexions(request: Request, coffre: Coffre, nav: sess.Navigateur, now: datetime) -> bool:
    """False when this client address or this browser had its sign-in steps for the window."""
    limiteur, reglages = coffre.retrait.limiteur, coffre.settings
    return limiteur.autoriser(
        f"connexion:{adresse_client(request)}", reglages.retrait_connexions_par_client, now
    ) and limiteur.autoriser(
        f"connexion:{empreinte(nav.cookie)}", reglages.retrait_connexions_par_session, now
    )


async def fermer(coffre: Coffre, nav: sess.Navigateur) -> sess.Navigateur:
    """End the browser's record; it gets a fresh pre-session."""
    async with coffre.db.transaction() as session:
        await sess.terminer(session, nav, now=coffre.clock.now())
    return sess.Navigateur(nouveau_cookie(), True, None)


async def acte_pdf(
    coffre: Coffre,
    acte_id: str,
    *,
    declarations: Collection[str],
    personne: str,
    absent: Callable[[], Response],
    connu: Acte | None = None,
) -> Response:
    """The acte's download (`reception.prise.telecharger`: the first one is the prise de connaissance),
    else the page `absent` makes, or the integrity page."""
    try:
        resultat = await telecharger(
            coffre, acte_id, declarations=declarations, personne=personne, connu=connu
        )
    except ActeIntrouvable:
        return absent()
    except ErreurIntegrite:
        return indisponible()
    headers = {
        "Content-Length": str(resultat.taille),
        "Content-Disposition": f'attachment; filename="acte-{resultat.acte_id}.pdf"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(resultat.contenu, media_type="application/pdf", headers=headers)
