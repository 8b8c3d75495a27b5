"""Friendly French HTML pages for the errors a person's browser can meet; APIs keep problem+json.

A request gets the HTML page only when its `Accept` header names `text/html` and ranks it at least as
high as any JSON type it names (a browser's navigation: `text/html,application/xhtml+xml,...`). An
API client (`application/json`, `application/problem+json`, `*/*` or no header) gets the problem+json
of the contract, unchanged. The page says what happened and where to go (home page, the destinataire's
space, the declaration form), under the pages' strict CSP (no script, one same-origin stylesheet), with
the status code and the `Retry-After` of the problem kept.
"""

from __future__ import annotations

import html
import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from shared.errors import PROBLEM_JSON
from shared.http import STRICT_CSP

_JSON = ("application/json", "application/problem+json")


def prefere_html(accept: str | None) -> bool:
    """True when this `Accept` header asks for HTML first (see the module docstring)."""
    if not accept:
        return False
    poids: dict[str, float] = {}
    for partie in accept.split(",")[:50]:
        morceaux = [m.strip() for m in partie.split(";")]
        media = morceaux[0].lower()
        q = 1.0
        for parametre in morceaux[1:]:
            nom, _, valeur = parametre.partition("=")
            if nom.strip().lower() == "q":
                try:
                    q = float(valeur)
                except ValueError:
                    q = 0.0
        poids[media] = max(q, poids.get(media, 0.0))
    html_q = poids.get("text/html", 0.0)
    return html_q > 0 and all(html_q >= poids.get(media, 0.0) for media in _JSON)


def demande_html(request: Request) -> bool:
    return prefere_html(request.headers.get("accept"))


@dataclass(frozen=True)
class Explication:
    titre: str
    texte: str


_PAR_STATUT: dict[int, Explication] = {
    400: Explication("Demande incorrecte", "La demande envoyée par votre navigateur n'a pas pu être lue."),
    401: Explication(
        "Connexion nécessaire",
        "Cette page demande d'être connecté. Connectez-vous depuis votre espace destinataire.",
    ),
    403: Explication(
        "Accès refusé",
        "Vous n'avez pas accès à cette page, ou votre session a pris fin. Connectez-vous de nouveau.",
    ),
    404: Explication(
        "Page introuvable",
        "L'adresse demandée n'existe pas ou n'existe plus. Vérifiez-la, ou repartez de l'accueil.",
    ),
    405: Explication(
        "Cette page ne s'ouvre pas ainsi",
        "Cette adresse reçoit un formulaire : revenez à la page précédente et utilisez son bouton.",
    ),
    410: Explication(
        "Lien expiré",
        "Ce lien n'est plus valable. Les actes qui vous ont été signifiés restent consultables dans votre "
        "espace destinataire, avec votre adresse électronique et votre mot de passe.",
    ),
    422: Explication(
        "Informations à corriger",
        "Certaines informations envoyées ne sont pas valables. Revenez à la page précédente pour les "
        "corriger.",
    ),
    413: Explication(
        "Envoi trop volumineux", "Le fichier ou le formulaire envoyé dépasse la taille acceptée."
    ),
    415: Explication(
        "Format non accepté", "Le format de ce qui a été envoyé n'est pas accepté à cette adresse."
    ),
    429: Explication(
        "Trop de tentatives",
        "Trop de demandes ont été reçues en peu de temps. Patientez quelques minutes, puis réessayez.",
    ),
    500: Explication(
        "Erreur interne",
        "Une erreur est survenue de notre côté ; elle a été enregistrée. Réessayez dans quelques instants.",
    ),
    503: Explication(
        "Service momentanément indisponible", "Le service ne répond pas pour le moment. Réessayez plus tard."
    ),
}
_PAR_CODE: dict[str, Explication] = {
    "compte-verrouille": Explication(
        "Compte temporairement verrouillé",
        "Après plusieurs tentatives infructueuses, votre compte est verrouillé pour un temps : aucun code "
        "n'est envoyé ni accepté pendant ce délai. Un courriel vous en a informé. Réessayez plus tard, ou "
        "choisissez un nouveau mot de passe une fois le délai passé.",
    ),
    "lien-expire": _PAR_STATUT[410],
}


def explication(statut: int, code: str | None = None) -> Explication:
    if code is not None and code in _PAR_CODE:
        return _PAR_CODE[code]
    if statut in _PAR_STATUT:
        return _PAR_STATUT[statut]
    return _PAR_STATUT[500] if statut >= 500 else _PAR_STATUT[400]


def page_erreur(statut: int, code: str | None = None, *, retry_after: str | None = None) -> HTMLResponse:
    """The page of this status (or of this problem code), with the same status."""
    e = explication(statut, code)
    corps = f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{html.escape(e.titre, quote=False)} — Signif</title>
<link rel="stylesheet" href="/consent/static/consent.css">
</head>
<body>
<header><p><strong><a href="/">Signif — signification électronique des actes</a></strong></p></header>
<main>
<h1>{html.escape(e.titre, quote=False)}</h1>
<p>{html.escape(e.texte, quote=False)}</p>
<nav aria-label="Où aller">
<ul>
<li><a href="/">Page d'accueil</a></li>
<li><a href="/coffre/retrait">Mon espace destinataire</a> (les actes qui vous ont été signifiés)</li>
<li><a href="/consent/declaration">Déclarer mon consentement</a></li>
</ul>
</nav>
<p class="code-erreur">Code de l'erreur : {statut}{f" ({html.escape(code)})" if code else ""}</p>
</main>
</body>
</html>
"""
    headers = {"Content-Security-Policy": STRICT_CSP, "Cache-Control": "no-store"}
    if retry_after:
        headers["Retry-After"] = retry_after
    return HTMLResponse(corps, status_code=statut, headers=headers)


def installer_pages_erreur(app: FastAPI) -> None:
    """Wrap the app's error handlers (`shared.errors.install_error_handlers`, installed first): the same
    problem, logged the same, then shown as a page to a browser that asks for HTML."""
    for cle, original in list(app.exception_handlers.items()):
        app.add_exception_handler(cle, _en_page(original))


#: Headers of a refusal that the HTML page keeps (RFC 9110: `Allow` with 405, `WWW-Authenticate` with 401).
_ENTETES_GARDES = ("allow", "www-authenticate")


def _en_page(original: Callable[..., Any]) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def gerer(request: Request, exc: Exception) -> Response:
        reponse = original(request, exc)
        if inspect.isawaitable(reponse):
            reponse = await reponse
        if not isinstance(reponse, Response):  # pragma: no cover - handlers answer responses
            raise TypeError("an exception handler must return a Response")
        if not demande_html(request) or reponse.media_type != PROBLEM_JSON:
            return reponse
        try:
            probleme = json.loads(bytes(reponse.body))
        except ValueError:  # pragma: no cover - the handlers write JSON
            return reponse
        code = probleme.get("code") if isinstance(probleme, dict) else None
        page = page_erreur(
            reponse.status_code,
            code if isinstance(code, str) else None,
            retry_after=reponse.headers.get("retry-after"),
        )
        for entete in _ENTETES_GARDES:  # what the status means to a client, whatever the body's form
            if entete in reponse.headers and entete not in page.headers:
                page.headers[entete] = reponse.headers[entete]
        return page

    return gerer
