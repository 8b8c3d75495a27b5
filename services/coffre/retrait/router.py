"""The destinataire's retrieval pages: `GET /coffre/retrait/{jeton}` and its forms.

Flow: the page (who served what nature and when, never the content) → e-mail + password (POST
`connexion`, consent sends a one-time code) → code (POST `code`, consent answers a destinataire JWT,
verified against consent's JWKS) → a server-side session (`session.py`) checked with consent before
each use → "Télécharger l'acte" (POST `telechargement`, the only action that records a prise de
connaissance) and the list of every acte served on that person.

Threat model: link tokens (≥ 256 bits) are looked up by SHA-256 only, bound to one acte and one
declaration, expire, and are rate-limited (`limites.py`); an unknown, expired or foreign link is the
same 404 page; limits go by client address and browser session, never by link alone, so holding a
link does not let anyone lock its destinataire out. GETs never change legal state (mail scanners
pre-fetch links). A session opens only
from a destinataire token whose `declarations` include the link's declaration; downloads check the
acte's declaration against the session again, so neither another person's link nor another acte's
id reaches an acte. A commissaire's bearer token is ignored here (pages read the cookie only) and
never verifies as a destinataire token. Every POST needs this site's origin and the CSRF value bound
to the browser's cookie (`shared.pages`). Pages: strict
CSP (`shared.http.STRICT_CSP`), no script at all, one same-origin stylesheet, `no-store`.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from services.coffre.actes.natures import NATURES
from services.coffre.contexte import Coffre, Retrait
from services.coffre.dependencies import CoffreDep, coffre_de
from services.coffre.errors import ActeIntrouvable
from services.coffre.models import Acte, LienRetrait
from services.coffre.reception.prise import ENVOYES, telecharger
from services.coffre.retrait import session as sess
from services.coffre.retrait.connexion import ConnexionRefusee, ConsentInjoignable
from shared.crypto.tokens import hash_token
from shared.errors import ErreurIntegrite
from shared.http import STRICT_CSP
from shared.instants import instant_personne
from shared.pages import (
    adresse_client,
    csrf_valide,
    empreinte,
    nouveau_cookie,
    origine_refusee,
    poser_cookie,
)

router = APIRouter(prefix="/coffre/retrait", include_in_schema=False)
_ICI = Path(__file__).parent
_TEMPLATES = Environment(
    loader=FileSystemLoader(_ICI / "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
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


def avec_cookie(request: Request, reponse: Response, nav: sess.Navigateur) -> Response:
    if nav.neuf:
        poser_cookie(
            reponse,
            request,
            sess.COOKIE,
            nav.cookie,
            path=sess.COOKIE_PATH,
            max_age=sess.SESSION_MINUTES * 60,
            production=coffre_de(request).settings.env == "production",
        )
    return reponse


def page_html(nom: str, statut: int = 200, **contexte: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(nom).render(**contexte)
    reponse = HTMLResponse(html, status_code=statut)
    reponse.headers["Content-Security-Policy"] = STRICT_CSP
    reponse.headers["Cache-Control"] = "no-store"
    return reponse


def _introuvable() -> HTMLResponse:
    return page_html("introuvable.html", 404, titre="Lien invalide ou expiré")


def trop() -> HTMLResponse:
    reponse = page_html("introuvable.html", 429, titre="Trop de requêtes", trop=True)
    reponse.headers["Retry-After"] = "600"
    return reponse


async def _lien(request: Request, coffre: Coffre, jeton: str) -> tuple[LienRetrait, Acte] | Response:
    """The link and its acte, or the 404/429 page (same page for unknown, expired and not yet sent)."""
    limiteur = coffre.retrait.limiteur
    now = coffre.clock.now()
    client = adresse_client(request)
    reglages = coffre.settings
    if not limiteur.autoriser(f"page:{client}", reglages.retrait_pages_par_client, now):
        return trop()
    async with coffre.db.read() as session:
        lien = await session.get(LienRetrait, hash_token(jeton)) if len(jeton) <= 200 else None
        acte = await session.get(Acte, lien.acte_id) if lien is not None else None
    if lien is None or acte is None or lien.expire_le <= now or acte.statut not in ENVOYES:
        if not limiteur.autoriser(f"inconnu:{client}", reglages.retrait_inconnus_par_client, now):
            return trop()
        return _introuvable()
    return lien, acte


def _vue_acte(acte: Acte) -> dict[str, Any]:
    return {
        "id": acte.id,
        "nature": NATURES.get(acte.nature, acte.nature),
        "office": acte.office_nom,
        "commissaire": acte.commissaire_nom,
        "envoye_le": instant_personne(acte.envoye_le, acte.fuseau) if acte.envoye_le else "",
        "telecharge": acte.pris_connaissance_le is not None,
    }


async def formulaire(request: Request) -> dict[str, str]:
    corps = await request.body()
    if len(corps) > _MAX_FORM:
        return {}
    valeurs = parse_qs(corps.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {cle: v[0] for cle, v in valeurs.items() if v}


async def _navigateur(request: Request, coffre: Coffre, lien: LienRetrait) -> sess.Navigateur:
    async with coffre.db.read() as session:
        return await sess.navigateur(
            session, request.cookies.get(sess.COOKIE), lien.jeton_hash, coffre.clock.now()
        )


def post_valide(request: Request, retrait: Retrait, nav: sess.Navigateur, champs: dict[str, str]) -> bool:
    """This site's own form in this browser: origin, then the CSRF value bound to its cookie."""
    if origine_refusee(request) or nav.neuf:
        return False
    return csrf_valide(retrait.cle, nav.cookie, champs.get("csrf"))


async def _declarations_vivantes(retrait: Retrait, nav: sess.Navigateur) -> list[str] | None:
    """The person's declarations if her consent session still lives (ended by sign-out, password
    reset, revocation or an operator: then None)."""
    ligne = nav.ligne
    if ligne is None or ligne.session_consent is None:
        return None
    return await retrait.client.session(ligne.session_consent)


async def fermer(coffre: Coffre, nav: sess.Navigateur) -> sess.Navigateur:
    """End the browser's record; it gets a fresh pre-session."""
    async with coffre.db.transaction() as session:
        await sess.terminer(session, nav, now=coffre.clock.now())
    return sess.Navigateur(nouveau_cookie(), True, None)


async def _actes_de(coffre: Coffre, declarations: list[str]) -> list[dict[str, Any]]:
    async with coffre.db.read() as session:
        actes = (
            await session.scalars(
                select(Acte)
                .where(Acte.declaration_id.in_(declarations), Acte.statut.in_(ENVOYES))
                .order_by(Acte.envoye_le.desc())
                .limit(200)
            )
        ).all()
    return [_vue_acte(a) for a in actes]


@router.get("/static/retrait.css")
async def feuille_de_style() -> FileResponse:
    return FileResponse(_ICI / "static" / "retrait.css", media_type="text/css")


@router.get("/{jeton}", response_class=HTMLResponse)
async def page(request: Request, coffre: CoffreDep, jeton: str, erreur: str | None = None) -> Response:
    trouve = await _lien(request, coffre, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, acte = trouve
    retrait = coffre.retrait
    nav = await _navigateur(request, coffre, lien)
    contexte: dict[str, Any] = {
        "titre": "Un acte vous a été signifié",
        "jeton": jeton,
        "acte": _vue_acte(acte),
        "erreur": MESSAGES.get(erreur or ""),
        "etape": "connexion",
    }
    ligne = nav.ligne
    if nav.connecte and ligne is not None and lien.declaration_id in ligne.declarations:
        try:
            declarations = await _declarations_vivantes(retrait, nav)
        except ConsentInjoignable:
            declarations, contexte["erreur"] = None, MESSAGES["injoignable"]
        if declarations is not None and lien.declaration_id in declarations:
            contexte["etape"] = "connecte"
            contexte["actes"] = await _actes_de(coffre, declarations)
        else:
            nav = await fermer(coffre, nav)
            contexte["erreur"] = contexte["erreur"] or MESSAGES["session"]
    elif ligne is not None and ligne.defi_id is not None:
        contexte["etape"] = "code"
    contexte["csrf"] = nav.csrf(retrait.cle)
    return avec_cookie(request, page_html("retrait.html", **contexte), nav)


def _retour(
    request: Request, jeton: str, erreur: str | None = None, nav: sess.Navigateur | None = None
) -> Response:
    url = f"/coffre/retrait/{jeton}" + (f"?erreur={erreur}" if erreur else "")
    reponse = RedirectResponse(url, status_code=303)
    reponse.headers["Cache-Control"] = "no-store"
    return reponse if nav is None else avec_cookie(request, reponse, nav)


def limite_connexions(request: Request, coffre: Coffre, nav: sess.Navigateur, now: datetime) -> bool:
    """False when this client address or this browser had its sign-in steps for the window."""
    limiteur, reglages = coffre.retrait.limiteur, coffre.settings
    return limiteur.autoriser(
        f"connexion:{adresse_client(request)}", reglages.retrait_connexions_par_client, now
    ) and limiteur.autoriser(
        f"connexion:{empreinte(nav.cookie)}", reglages.retrait_connexions_par_session, now
    )


@router.post("/{jeton}/connexion")
async def connexion(request: Request, coffre: CoffreDep, jeton: str) -> Response:
    trouve = await _lien(request, coffre, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, _acte = trouve
    retrait = coffre.retrait
    now = coffre.clock.now()
    champs = await formulaire(request)
    nav = await _navigateur(request, coffre, lien)
    if not post_valide(request, retrait, nav, champs):
        return _retour(request, jeton, "csrf")
    if not limite_connexions(request, coffre, nav, now):
        return _retour(request, jeton, "trop-de-requetes")
    try:
        defi = await retrait.client.commencer(
            champs.get("email", "")[:320], champs.get("mot_de_passe", "")[:512]
        )
    except ConnexionRefusee as exc:
        return _retour(request, jeton, exc.code if exc.code in MESSAGES else "authentification")
    except ConsentInjoignable:
        return _retour(request, jeton, "injoignable")
    async with coffre.db.transaction() as session:
        nav = await sess.remplacer(session, nav, lien.jeton_hash, now=now, defi_id=defi)
    return _retour(request, jeton, nav=nav)


@router.post("/{jeton}/code")
async def code(request: Request, coffre: CoffreDep, jeton: str) -> Response:
    trouve = await _lien(request, coffre, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, _acte = trouve
    retrait = coffre.retrait
    now = coffre.clock.now()
    champs = await formulaire(request)
    nav = await _navigateur(request, coffre, lien)
    defi_id = nav.ligne.defi_id if nav.ligne is not None else None
    if defi_id is None or not post_valide(request, retrait, nav, champs):
        return _retour(request, jeton, "csrf")
    if not limite_connexions(request, coffre, nav, now):
        return _retour(request, jeton, "trop-de-requetes")
    try:
        _jwt, personne = await retrait.client.confirmer(defi_id, champs.get("code", "")[:32], now=now)
    except ConnexionRefusee as exc:
        return _retour(request, jeton, exc.code if exc.code in MESSAGES else "authentification")
    except ConsentInjoignable:
        return _retour(request, jeton, "injoignable")
    if lien.declaration_id not in personne.declarations:
        await retrait.client.terminer(personne.sid)
        return _retour(request, jeton, "autre-destinataire", nav=await fermer(coffre, nav))
    async with coffre.db.transaction() as session:
        nav = await sess.remplacer(
            session,
            nav,
            lien.jeton_hash,
            now=now,
            sub=personne.sub,
            declarations=personne.declarations,
            session_consent=personne.sid,
        )
    return _retour(request, jeton, nav=nav)


@router.post("/{jeton}/recommencer")
async def recommencer(request: Request, coffre: CoffreDep, jeton: str) -> Response:
    """The way back from the code step (a mistyped address or password): the pending step ends."""
    trouve = await _lien(request, coffre, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, _acte = trouve
    retrait = coffre.retrait
    champs = await formulaire(request)
    nav = await _navigateur(request, coffre, lien)
    if not post_valide(request, retrait, nav, champs):
        return _retour(request, jeton, "csrf")
    return _retour(request, jeton, nav=await fermer(coffre, nav))


@router.post("/{jeton}/deconnexion")
async def deconnexion(request: Request, coffre: CoffreDep, jeton: str) -> Response:
    """Sign-out: the coffre's record and consent's session end now; the old cookie opens nothing."""
    trouve = await _lien(request, coffre, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, _acte = trouve
    retrait = coffre.retrait
    champs = await formulaire(request)
    nav = await _navigateur(request, coffre, lien)
    if not post_valide(request, retrait, nav, champs):
        return _retour(request, jeton, "csrf")
    if nav.ligne is not None and nav.ligne.session_consent is not None:
        # The coffre's record ends anyway, and consent's session expires on its own.
        with contextlib.suppress(ConnexionRefusee, ConsentInjoignable):
            await retrait.client.terminer(nav.ligne.session_consent)
    return _retour(request, jeton, nav=await fermer(coffre, nav))


@router.post("/{jeton}/telechargement", response_model=None)
async def telechargement(request: Request, coffre: CoffreDep, jeton: str) -> Response:
    trouve = await _lien(request, coffre, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, acte = trouve
    retrait = coffre.retrait
    champs = await formulaire(request)
    nav = await _navigateur(request, coffre, lien)
    if nav.ligne is None or not nav.connecte or not post_valide(request, retrait, nav, champs):
        return _retour(request, jeton, "csrf")
    if lien.declaration_id not in nav.ligne.declarations:
        return _retour(request, jeton, "autre-destinataire")
    try:
        declarations = await _declarations_vivantes(retrait, nav)
    except ConsentInjoignable:
        return _retour(request, jeton, "injoignable")
    if declarations is None or lien.declaration_id not in declarations:
        return _retour(request, jeton, "session", nav=await fermer(coffre, nav))
    try:
        resultat = await telecharger(
            coffre,
            champs.get("acte_id") or acte.id,
            declarations=declarations,
            personne=nav.ligne.sub or "",
            connu=acte,
        )
    except ActeIntrouvable:
        return _introuvable()
    except ErreurIntegrite:
        return page_html("introuvable.html", 500, titre="Document momentanément indisponible", integrite=True)
    headers = {
        "Content-Length": str(resultat.taille),
        "Content-Disposition": f'attachment; filename="acte-{resultat.acte_id}.pdf"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(resultat.contenu, media_type="application/pdf", headers=headers)
