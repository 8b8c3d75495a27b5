"""What every consent page shares: the templates and their filters, the statuses in French, and
`Pages`, one request's page context (CSRF value, cookie, the declaration this browser may act on).

Every POST needs this site's origin and the CSRF value bound to the browser's session
(`navigateur.py`); the session is a server-side record, never the management token.

Handlers take what they act on as dependencies that refuse with the page that says why
(`shared.pages.PageRefusee`: the handler never runs and nothing commits): `FormulaireDep`, the page
context of a POST from this site's own form; `DeclarationLueDep`, the declaration of the path that
this browser's session may see; `DeclarationPostDep`, both, the declaration under its row lock.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.consent.declarations import repository, service
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.models import Declaration
from services.consent.pages import navigateur as nav_
from services.consent.pages.navigateur import Navigateur
from services.consent.registre import Registre
from shared.errors import ServiceError
from shared.http import STRICT_CSP
from shared.instants import date_simple, instant_personne
from shared.natures import NATURES, TOUTES_NATURES
from shared.pages import PageRefusee, taille_lisible

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=select_autoescape(default=True),
)


def _natures_fr(codes: list[str]) -> str:
    """A declaration's natures as a destinataire reads them: "tous les actes" for `*`, else the labels."""
    if TOUTES_NATURES in codes:
        return "tous les actes"
    return ", ".join(NATURES.get(code, code) for code in codes)


def _date_fr(jour: date | None) -> str:
    """« 16 mars 2026 » (`shared.instants.date_simple`)."""
    return date_simple(jour) if jour else ""


def _instant_fr(instant: datetime | None, fuseau: str) -> str:
    """An instant on the declarant's legal clock (her domicile's, or the seat's), zone named:
    « mardi 8 décembre 2026 à 10 h 05 (heure de La Réunion) » (`shared.instants.instant_personne`)."""
    if instant is None:
        return ""
    return instant_personne(instant, fuseau)


_env.filters["natures_fr"] = _natures_fr
_env.filters["date_fr"] = _date_fr
_env.filters["instant_fr"] = _instant_fr
_env.filters["taille_fr"] = taille_lisible
_env.filters["jour_fr"] = lambda iso: _date_fr(date.fromisoformat(str(iso))) if iso else ""
Csrf = Annotated[str, Form(max_length=100)]
STATUTS = {
    "en_attente_confirmation": "en attente de confirmation de l'adresse électronique",
    "en_attente_verification": "en cours de vérification",
    "active": "active",
    "rejetee": "rejetée",
    "revoquee": "révoquée",
    "expiree": "expirée",
}


class Pages:
    """One request's page context: renders templates with the browser's CSRF value and sets its
    cookie when it is new."""

    def __init__(self, request: Request, registre: Registre, nav: Navigateur) -> None:
        self.request, self.registre, self.nav = request, registre, nav

    def page(self, nom: str, status_code: int = 200, **contexte: Any) -> HTMLResponse:
        html = _env.get_template(nom).render(csrf=self.nav.csrf, **contexte)
        response = HTMLResponse(
            html,
            status_code=status_code,
            headers={"Content-Security-Policy": STRICT_CSP, "Cache-Control": "no-store"},
        )
        nav_.avec_cookie(response, self.request, self.registre, self.nav)
        return response

    def vers(self, url: str) -> Response:
        response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
        return nav_.avec_cookie(response, self.request, self.registre, self.nav)

    def valide(self, csrf: str | None) -> bool:
        return nav_.formulaire_valide(self.request, self.registre, self.nav, csrf)

    def acces_refuse(self) -> HTMLResponse:
        return self.page(
            "acces.html",
            403,
            titre="Accéder à ma déclaration",
            erreurs=["Jeton de gestion ou session absent, invalide ou expiré."],
        )

    def formulaire_refuse(self) -> HTMLResponse:
        """A POST without this page's CSRF value, or from another site: nothing done."""
        return self.page(
            "acces.html",
            403,
            titre="Accéder à ma déclaration",
            erreurs=["Ce formulaire a expiré ou ne vient pas de ce site : rien n'a été fait. Recommencez."],
        )

    async def declaration(self, session: Any, declaration_id: str, *, verrou: bool = False) -> Declaration:
        """The declaration, if this browser's session was opened with its management token or is its
        declarant's; else `PageRefusee` with the 403 page (the same for an unknown id)."""
        preuve = self.nav.preuve
        if preuve.personne_id is not None or preuve.gestion is not None:
            try:
                declaration = await repository.charger(session, declaration_id, verrou=verrou)
                service.autoriser(declaration, preuve)
            except ServiceError:
                pass
            else:
                return declaration
        raise PageRefusee(self.acces_refuse())


async def _pages(request: Request, session: SessionDep, registre: RegistreDep, now: NowDep) -> Pages:
    return Pages(request, registre, await nav_.navigateur(request, session, registre, now))


PagesDep = Annotated[Pages, Depends(_pages)]


async def _formulaire_valide(p: PagesDep, csrf: Csrf = "") -> Pages:
    if not p.valide(csrf):
        raise PageRefusee(p.formulaire_refuse())
    return p


#: The page context of a POST from this site's own form in this browser (else its 403 page).
FormulaireDep = Annotated[Pages, Depends(_formulaire_valide)]


async def _declaration_lue(declaration_id: str, p: PagesDep, session: SessionDep) -> Declaration:
    return await p.declaration(session, declaration_id)


async def _declaration_postee(declaration_id: str, p: FormulaireDep, session: SessionDep) -> Declaration:
    return await p.declaration(session, declaration_id, verrou=True)


#: The path's declaration, if this browser's session may see it (else the 403 page).
DeclarationLueDep = Annotated[Declaration, Depends(_declaration_lue)]
#: The path's declaration under its row lock, on this site's own form (else either 403 page).
DeclarationPostDep = Annotated[Declaration, Depends(_declaration_postee)]
