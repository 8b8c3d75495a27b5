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
to the browser's cookie (`pages.py`, on `shared.pages`); the sign-in steps are the space's
(`parcours.py`). Pages: strict CSP (`shared.http.STRICT_CSP`), no script at all, one same-origin
stylesheet, `no-store`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse

from services.coffre.actes.natures import NATURES
from services.coffre.contexte import Coffre
from services.coffre.dependencies import CoffreDep
from services.coffre.errors import ActeIntrouvable
from services.coffre.models import ENVOYES, Acte, LienRetrait
from services.coffre.reception.prise import telecharger
from services.coffre.retrait import parcours, repository
from services.coffre.retrait import session as sess
from services.coffre.retrait.connexion import ConsentInjoignable
from services.coffre.retrait.pages import (
    ICI,
    MESSAGES,
    avec_cookie,
    fermer,
    formulaire,
    indisponible,
    navigateur,
    page_html,
    post_valide,
    trop,
)
from shared.crypto.tokens import hash_token
from shared.errors import ErreurIntegrite
from shared.instants import instant_personne
from shared.pages import adresse_client

router = APIRouter(prefix="/coffre/retrait", include_in_schema=False)


def _introuvable() -> HTMLResponse:
    return page_html("introuvable.html", 404, titre="Lien invalide ou expiré")


async def _lien(request: Request, coffre: Coffre, jeton: str) -> tuple[LienRetrait, Acte] | Response:
    """The link and its acte, or the 404/429 page (same page for unknown, expired and not yet sent)."""
    limiteur = coffre.retrait.limiteur
    now = coffre.clock.now()
    client = adresse_client(request)
    reglages = coffre.settings
    if not limiteur.autoriser(f"page:{client}", reglages.retrait_pages_par_client, now):
        return trop()
    lien: LienRetrait | None = None
    acte: Acte | None = None
    if len(jeton) <= 200:
        async with coffre.db.read() as session:
            lien, acte = await repository.lien(session, hash_token(jeton))
    if lien is None or acte is None or lien.expire_le <= now or acte.statut not in ENVOYES:
        if not limiteur.autoriser(f"inconnu:{client}", reglages.retrait_inconnus_par_client, now):
            return trop()
        return _introuvable()
    return lien, acte


def _porte(jeton: str, lien: LienRetrait) -> parcours.Porte:
    return parcours.Porte(
        cle=lien.jeton_hash, adresse=f"/coffre/retrait/{jeton}", declaration=lien.declaration_id
    )


def _vue_acte(acte: Acte) -> dict[str, Any]:
    return {
        "id": acte.id,
        "nature": NATURES.get(acte.nature, acte.nature),
        "office": acte.office_nom,
        "commissaire": acte.commissaire_nom,
        "envoye_le": instant_personne(acte.envoye_le, acte.fuseau) if acte.envoye_le else "",
        "telecharge": acte.pris_connaissance_le is not None,
    }


async def _declarations_vivantes(coffre: Coffre, nav: sess.Navigateur) -> list[str] | None:
    """The person's declarations if her consent session still lives (ended by sign-out, password
    reset, revocation or an operator: then None)."""
    ligne = nav.ligne
    if ligne is None or ligne.session_consent is None:
        return None
    return await coffre.retrait.client.session(ligne.session_consent)


async def _actes_de(coffre: Coffre, declarations: list[str]) -> list[dict[str, Any]]:
    async with coffre.db.read() as session:
        actes = await repository.actes_servis(session, declarations)
    return [_vue_acte(a) for a in actes]


@router.get("/static/retrait.css")
async def feuille_de_style() -> FileResponse:
    return FileResponse(ICI / "static" / "retrait.css", media_type="text/css")


@router.get("/{jeton}", response_class=HTMLResponse)
async def page(request: Request, coffre: CoffreDep, jeton: str, erreur: str | None = None) -> Response:
    trouve = await _lien(request, coffre, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, acte = trouve
    nav = await navigateur(request, coffre, lien.jeton_hash)
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
            declarations = await _declarations_vivantes(coffre, nav)
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
    contexte["csrf"] = nav.csrf(coffre.retrait.cle)
    return avec_cookie(request, coffre, page_html("retrait.html", **contexte), nav)


async def _etape(request: Request, coffre: Coffre, jeton: str, etape: parcours.Etape) -> Response:
    """A sign-in step (`parcours.py`) on a link that opens (else its 404/429 page)."""
    trouve = await _lien(request, coffre, jeton)
    if isinstance(trouve, Response):
        return trouve
    return await etape(request, coffre, _porte(jeton, trouve[0]))


@router.post("/{jeton}/connexion")
async def connexion(request: Request, coffre: CoffreDep, jeton: str) -> Response:
    return await _etape(request, coffre, jeton, parcours.connexion)


@router.post("/{jeton}/code")
async def code(request: Request, coffre: CoffreDep, jeton: str) -> Response:
    return await _etape(request, coffre, jeton, parcours.code)


@router.post("/{jeton}/recommencer")
async def recommencer(request: Request, coffre: CoffreDep, jeton: str) -> Response:
    return await _etape(request, coffre, jeton, parcours.recommencer)


@router.post("/{jeton}/deconnexion")
async def deconnexion(request: Request, coffre: CoffreDep, jeton: str) -> Response:
    return await _etape(request, coffre, jeton, parcours.deconnexion)


@router.post("/{jeton}/telechargement", response_model=None)
async def telechargement(request: Request, coffre: CoffreDep, jeton: str) -> Response:
    trouve = await _lien(request, coffre, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, acte = trouve
    porte = _porte(jeton, lien)
    champs = await formulaire(request)
    nav = await navigateur(request, coffre, lien.jeton_hash)
    if nav.ligne is None or not nav.connecte or not post_valide(request, coffre, nav, champs):
        return parcours.retour(request, coffre, porte, "csrf")
    if lien.declaration_id not in nav.ligne.declarations:
        return parcours.retour(request, coffre, porte, "autre-destinataire")
    try:
        declarations = await _declarations_vivantes(coffre, nav)
    except ConsentInjoignable:
        return parcours.retour(request, coffre, porte, "injoignable")
    if declarations is None or lien.declaration_id not in declarations:
        return parcours.retour(request, coffre, porte, "session", nav=await fermer(coffre, nav))
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
        return indisponible()
    headers = {
        "Content-Length": str(resultat.taille),
        "Content-Disposition": f'attachment; filename="acte-{resultat.acte_id}.pdf"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(resultat.contenu, media_type="application/pdf", headers=headers)
