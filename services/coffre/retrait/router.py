"""The destinataire's retrieval pages: `GET /coffre/retrait/{jeton}` and its forms.

Flow: the page (who served what nature and when, never the content) → e-mail + password (POST
`connexion`, consent sends a one-time code) → code (POST `code`, consent answers a destinataire JWT,
verified against consent's JWKS) → an encrypted session cookie (`session.py`) → "Télécharger
l'acte" (POST `telechargement`, the only action that records a prise de connaissance) and the list
of every acte served on that person.

Threat model: link tokens (≥ 256 bits) are looked up by SHA-256 only, bound to one acte and one
declaration, expire, and are rate-limited (`limites.py`); an unknown, expired or foreign link is the
same 404 page. GETs never change legal state (mail scanners pre-fetch links). A session opens only
from a destinataire token whose `declarations` include the link's declaration; downloads check the
acte's declaration against the session again, so neither another person's link nor another acte's
id reaches an acte. A commissaire's bearer token is ignored here (pages read the cookie only) and
never verifies as a destinataire token. Every POST needs the session's CSRF value. Pages: strict
CSP (`shared.http.STRICT_CSP`), no script at all, one same-origin stylesheet, `no-store`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from services.coffre.actes.natures import NATURES
from services.coffre.contexte import Coffre, coffre_of, runtime_of
from services.coffre.errors import ActeIntrouvable
from services.coffre.models import Acte, LienRetrait
from services.coffre.preuves.francais import instant_local
from services.coffre.reception.prise import ENVOYES, telecharger
from services.coffre.retrait import session as sess
from services.coffre.retrait.connexion import ConnexionRefusee, ConsentInjoignable, DestinataireClient
from services.coffre.retrait.limites import CONNEXIONS_PAR_LIEN, INCONNUS_PAR_IP, PAR_LIEN, Limiteur
from shared.app import ServiceRuntime
from shared.crypto.tokens import hash_token
from shared.errors import ErreurIntegrite
from shared.http import STRICT_CSP

router = APIRouter(prefix="/coffre/retrait", include_in_schema=False)
_ICI = Path(__file__).parent
_TEMPLATES = Environment(
    loader=FileSystemLoader(_ICI / "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
)
_EXTRA = "coffre.retrait"
_MAX_FORM = 4096
_MESSAGES = {
    "authentification": "Identifiants ou code incorrects. Vérifiez votre saisie et réessayez.",
    "trop-de-requetes": "Trop de tentatives. Patientez quelques minutes avant de réessayer.",
    "compte-verrouille": "Votre compte est temporairement verrouillé. Réessayez plus tard.",
    "injoignable": "Le service de connexion est momentanément indisponible. Réessayez.",
    "csrf": "Votre session a expiré. Veuillez recommencer.",
    "autre-destinataire": "Ce lien ne correspond pas au compte avec lequel vous êtes connecté.",
}


@dataclass
class Retrait:
    cle: bytes
    client: DestinataireClient
    limiteur: Limiteur


def _retrait(runtime: ServiceRuntime) -> Retrait:
    existant = runtime.extras.get(_EXTRA)
    if isinstance(existant, Retrait):
        return existant
    coffre = coffre_of(runtime)

    def http() -> Any:
        return runtime.http

    retrait = Retrait(
        cle=sess.charger_cle(coffre.settings.keys_dir),
        client=DestinataireClient(coffre.settings.url_of("consent"), http, coffre.tokens),
        limiteur=Limiteur(),
    )
    runtime.extras[_EXTRA] = retrait
    return retrait


def _page(nom: str, statut: int = 200, cookie: str | None = None, **contexte: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(nom).render(**contexte)
    reponse = HTMLResponse(html, status_code=statut)
    reponse.headers["Content-Security-Policy"] = STRICT_CSP
    reponse.headers["Cache-Control"] = "no-store"
    if cookie is not None:
        _poser_cookie(reponse, cookie)
    return reponse


def _poser_cookie(reponse: Response, valeur: str) -> None:
    reponse.set_cookie(
        sess.COOKIE,
        valeur,
        max_age=sess.SESSION_MINUTES * 60,
        path=sess.COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )


def _introuvable() -> HTMLResponse:
    return _page("introuvable.html", 404, titre="Lien invalide ou expiré")


def _trop() -> HTMLResponse:
    reponse = _page("introuvable.html", 429, titre="Trop de requêtes", trop=True)
    reponse.headers["Retry-After"] = "600"
    return reponse


async def _lien(request: Request, runtime: ServiceRuntime, jeton: str) -> tuple[LienRetrait, Acte] | Response:
    """The link and its acte, or the 404/429 page (same page for unknown, expired and not yet sent)."""
    limiteur = _retrait(runtime).limiteur
    now = runtime.clock.now()
    lien_hash = hash_token(jeton)
    if not limiteur.autoriser(f"lien:{lien_hash}", PAR_LIEN, now):
        return _trop()
    async with runtime.db.read() as session:
        lien = await session.get(LienRetrait, lien_hash) if len(jeton) <= 200 else None
        acte = await session.get(Acte, lien.acte_id) if lien is not None else None
    if lien is None or acte is None or lien.expire_le <= now or acte.statut not in ENVOYES:
        ip = request.client.host if request.client else "?"
        if not limiteur.autoriser(f"ip:{ip}", INCONNUS_PAR_IP, now):
            return _trop()
        return _introuvable()
    return lien, acte


def _vue_acte(acte: Acte) -> dict[str, Any]:
    return {
        "id": acte.id,
        "nature": NATURES.get(acte.nature, acte.nature),
        "office": acte.office_nom,
        "commissaire": acte.commissaire_nom,
        "envoye_le": instant_local(acte.envoye_le, acte.fuseau) if acte.envoye_le else "",
        "telecharge": acte.pris_connaissance_le is not None,
    }


async def _formulaire(request: Request) -> dict[str, str]:
    corps = await request.body()
    if len(corps) > _MAX_FORM:
        return {}
    valeurs = parse_qs(corps.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {cle: v[0] for cle, v in valeurs.items() if v}


def _etat(request: Request, retrait: Retrait, jeton: str) -> sess.Etat | None:
    return sess.ouvrir(retrait.cle, request.cookies.get(sess.COOKIE), hash_token(jeton))


async def _actes_de(runtime: ServiceRuntime, declarations: list[str]) -> list[dict[str, Any]]:
    async with runtime.db.read() as session:
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
async def page(request: Request, jeton: str, erreur: str | None = None) -> Response:
    runtime = runtime_of(request)
    trouve = await _lien(request, runtime, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, acte = trouve
    retrait = _retrait(runtime)
    etat = _etat(request, retrait, jeton)
    neuf = etat is None
    if etat is None:
        etat = sess.nouvel_etat()
    contexte: dict[str, Any] = {
        "titre": "Un acte vous a été signifié",
        "jeton": jeton,
        "acte": _vue_acte(acte),
        "csrf": etat.csrf,
        "erreur": _MESSAGES.get(erreur or ""),
        "etape": "connexion",
    }
    if etat.connecte and lien.declaration_id in etat.declarations:
        contexte["etape"] = "connecte"
        contexte["actes"] = await _actes_de(runtime, etat.declarations)
    elif etat.defi_id is not None:
        contexte["etape"] = "code"
    cookie = sess.sceller(retrait.cle, etat, lien.jeton_hash) if neuf else None
    return _page("retrait.html", cookie=cookie, **contexte)


def _retour(jeton: str, erreur: str | None = None, cookie: str | None = None) -> RedirectResponse:
    url = f"/coffre/retrait/{jeton}" + (f"?erreur={erreur}" if erreur else "")
    reponse = RedirectResponse(url, status_code=303)
    reponse.headers["Cache-Control"] = "no-store"
    if cookie is not None:
        _poser_cookie(reponse, cookie)
    return reponse


@router.post("/{jeton}/connexion")
async def connexion(request: Request, jeton: str) -> Response:
    runtime = runtime_of(request)
    trouve = await _lien(request, runtime, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, _acte = trouve
    retrait = _retrait(runtime)
    now = runtime.clock.now()
    champs = await _formulaire(request)
    etat = _etat(request, retrait, jeton)
    if etat is None or not etat.csrf_valide(champs.get("csrf")):
        return _retour(jeton, "csrf")
    if not retrait.limiteur.autoriser(f"connexion:{lien.jeton_hash}", CONNEXIONS_PAR_LIEN, now):
        return _retour(jeton, "trop-de-requetes")
    try:
        defi = await retrait.client.commencer(
            champs.get("email", "")[:320], champs.get("mot_de_passe", "")[:512]
        )
    except ConnexionRefusee as exc:
        return _retour(jeton, exc.code if exc.code in _MESSAGES else "authentification")
    except ConsentInjoignable:
        return _retour(jeton, "injoignable")
    nouvel = sess.nouvel_etat()
    nouvel.defi_id = defi
    return _retour(jeton, cookie=sess.sceller(retrait.cle, nouvel, lien.jeton_hash))


@router.post("/{jeton}/code")
async def code(request: Request, jeton: str) -> Response:
    runtime = runtime_of(request)
    trouve = await _lien(request, runtime, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, _acte = trouve
    retrait = _retrait(runtime)
    now = runtime.clock.now()
    champs = await _formulaire(request)
    etat = _etat(request, retrait, jeton)
    if etat is None or etat.defi_id is None or not etat.csrf_valide(champs.get("csrf")):
        return _retour(jeton, "csrf")
    try:
        jwt_, personne = await retrait.client.confirmer(etat.defi_id, champs.get("code", "")[:32], now=now)
    except ConnexionRefusee as exc:
        return _retour(jeton, exc.code if exc.code in _MESSAGES else "authentification")
    except ConsentInjoignable:
        return _retour(jeton, "injoignable")
    nouvel = sess.nouvel_etat()
    if lien.declaration_id not in personne.declarations:
        return _retour(jeton, "autre-destinataire", cookie=sess.sceller(retrait.cle, nouvel, lien.jeton_hash))
    nouvel.exp = min(nouvel.exp, personne.exp)
    nouvel.jeton, nouvel.sub, nouvel.declarations = jwt_, personne.sub, personne.declarations
    return _retour(jeton, cookie=sess.sceller(retrait.cle, nouvel, lien.jeton_hash))


@router.post("/{jeton}/deconnexion")
async def deconnexion(request: Request, jeton: str) -> Response:
    runtime = runtime_of(request)
    trouve = await _lien(request, runtime, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, _acte = trouve
    nouvel = sess.nouvel_etat()
    return _retour(jeton, cookie=sess.sceller(_retrait(runtime).cle, nouvel, lien.jeton_hash))


@router.post("/{jeton}/telechargement", response_model=None)
async def telechargement(request: Request, jeton: str) -> Response:
    runtime = runtime_of(request)
    trouve = await _lien(request, runtime, jeton)
    if isinstance(trouve, Response):
        return trouve
    lien, acte = trouve
    retrait = _retrait(runtime)
    coffre: Coffre = coffre_of(runtime)
    champs = await _formulaire(request)
    etat = _etat(request, retrait, jeton)
    if etat is None or not etat.connecte or not etat.csrf_valide(champs.get("csrf")):
        return _retour(jeton, "csrf")
    if lien.declaration_id not in etat.declarations:
        return _retour(jeton, "autre-destinataire")
    try:
        resultat = await telecharger(
            runtime,
            coffre,
            champs.get("acte_id") or acte.id,
            declarations=etat.declarations,
            personne=etat.sub or "",
            connu=acte,
        )
    except ActeIntrouvable:
        return _introuvable()
    except ErreurIntegrite:
        return _page("introuvable.html", 500, titre="Document momentanément indisponible", integrite=True)
    headers = {
        "Content-Length": str(resultat.taille),
        "Content-Disposition": f'attachment; filename="acte-{resultat.acte_id}.pdf"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(resultat.contenu, media_type="application/pdf", headers=headers)
