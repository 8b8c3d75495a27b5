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

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from services.coffre.actes.natures import NATURES
from services.coffre.contexte import Coffre
from services.coffre.dependencies import CoffreDep
from services.coffre.models import ENVOYES, Acte, LienRetrait
from services.coffre.retrait import parcours, repository
from services.coffre.retrait.pages import (
    ICI,
    MESSAGES,
    PageAutoriseeDep,
    acte_pdf,
    page_du_navigateur,
    page_html,
    trop,
)
from shared.crypto.tokens import hash_token
from shared.instants import instant_personne
from shared.pages import PageRefusee, adresse_client

router = APIRouter(prefix="/coffre/retrait", include_in_schema=False)


def _introuvable() -> HTMLResponse:
    return page_html("introuvable.html", 404, titre="Lien invalide ou expiré")


async def _lien(
    request: Request, coffre: CoffreDep, jeton: str, _: PageAutoriseeDep
) -> tuple[LienRetrait, Acte]:
    """The link and its acte, else the 404/429 page (same page for unknown, expired and not yet sent)."""
    lien: LienRetrait | None = None
    acte: Acte | None = None
    if len(jeton) <= 200:
        async with coffre.db.read() as session:
            lien, acte = await repository.lien(session, hash_token(jeton))
    now = coffre.clock.now()
    if lien is None or acte is None or lien.expire_le <= now or acte.statut not in ENVOYES:
        cle, limite = f"inconnu:{adresse_client(request)}", coffre.settings.retrait_inconnus_par_client
        raise PageRefusee(_introuvable() if coffre.retrait.limiteur.autoriser(cle, limite, now) else trop())
    return lien, acte


#: The path's link and its acte (else the 404/429 page).
LienDep = Annotated[tuple[LienRetrait, Acte], Depends(_lien)]


def _porte(jeton: str, lien: LienRetrait) -> parcours.Porte:
    return parcours.Porte(
        cle=lien.jeton_hash,
        adresse=f"/coffre/retrait/{jeton}",
        declaration=lien.declaration_id,
        sans_session="csrf",  # a link's page says "recommencez" to a download without a session
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


async def _actes_de(coffre: Coffre, declarations: list[str]) -> list[dict[str, Any]]:
    async with coffre.db.read() as session:
        actes = await repository.actes_servis(session, declarations)
    return [_vue_acte(a) for a in actes]


@router.get("/static/retrait.css")
async def feuille_de_style() -> FileResponse:
    return FileResponse(ICI / "static" / "retrait.css", media_type="text/css")


@router.get("/{jeton}", response_class=HTMLResponse)
async def page(
    request: Request, coffre: CoffreDep, jeton: str, trouve: LienDep, erreur: str | None = None
) -> Response:
    lien, acte = trouve
    contexte: dict[str, Any] = {
        "titre": "Un acte vous a été signifié",
        "jeton": jeton,
        "acte": _vue_acte(acte),
        "erreur": MESSAGES.get(erreur or ""),
    }
    nav, vivante = await parcours.etat(request, coffre, _porte(jeton, lien), contexte)
    if vivante is not None:
        contexte["actes"] = await _actes_de(coffre, vivante.declarations)
    return page_du_navigateur(request, coffre, nav, "retrait.html", contexte)


@router.post("/{jeton}/connexion")
async def connexion(request: Request, coffre: CoffreDep, jeton: str, trouve: LienDep) -> Response:
    return await parcours.connexion(request, coffre, _porte(jeton, trouve[0]))


@router.post("/{jeton}/code")
async def code(request: Request, coffre: CoffreDep, jeton: str, trouve: LienDep) -> Response:
    return await parcours.code(request, coffre, _porte(jeton, trouve[0]))


@router.post("/{jeton}/recommencer")
async def recommencer(request: Request, coffre: CoffreDep, jeton: str, trouve: LienDep) -> Response:
    return await parcours.recommencer(request, coffre, _porte(jeton, trouve[0]))


@router.post("/{jeton}/deconnexion")
async def deconnexion(request: Request, coffre: CoffreDep, jeton: str, trouve: LienDep) -> Response:
    return await parcours.deconnexion(request, coffre, _porte(jeton, trouve[0]))


async def _connectee(request: Request, coffre: CoffreDep, jeton: str, trouve: LienDep) -> parcours.Connectee:
    return await parcours.connectee(request, coffre, _porte(jeton, trouve[0]))


@router.post("/{jeton}/telechargement", response_model=None)
async def telechargement(
    coffre: CoffreDep, trouve: LienDep, c: Annotated[parcours.Connectee, Depends(_connectee)]
) -> Response:
    acte = trouve[1]
    acte_id = c.champs.get("acte_id") or acte.id
    return await acte_pdf(
        coffre,
        acte_id,
        declarations=c.vivante.declarations,
        personne=c.personne,
        absent=_introuvable,
        connu=acte,
    )
