"""The destinataire's space at the stable public address `/coffre/retrait` (no link needed).

The address printed on the lettre simple, given in every avis and on the home page. Flow: e-mail +
password (POST `connexion`; consent sends a one-time code) → code (POST `code`; « Recommencer » goes
back at any time, POST `recommencer`) → her space: every declaration (from consent: number, status,
natures, period) and every acte served on her, each with its status, its annexes (name, size,
SHA-256), its download and, once she has taken cognisance, the avis de réception.

The prise de connaissance is the first authenticated POST `acte` of an acte, here exactly as from a
link's page (`services.coffre.reception.prise.telecharger`, the same function): a GET never records
anything. An annexe's download (POST `annexe`) is recorded as an event of its acte
(`telechargement_annexe`) but is not the prise de connaissance, nor is the avis de réception's.

The session is the retrieval pages' (`session.py`, cookie `signif_retrait` on `/coffre/retrait`): a
record opened here is bound to `session.ESPACE`; once signed in, it serves the space and every link
(and a sign-in on a link serves the space). Every POST needs this site's origin and the CSRF value
bound to the cookie; consent is asked before every page and download whether her session still lives.
Rate limits: the retrieval pages' (`limites.py`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from services.coffre.actes.natures import NATURES
from services.coffre.contexte import Coffre
from services.coffre.dependencies import CoffreDep
from services.coffre.errors import ActeIntrouvable
from services.coffre.reception import emission
from services.coffre.reception.prise import acte_du_destinataire
from services.coffre.retrait import parcours, repository, service
from services.coffre.retrait import session as sess
from services.coffre.retrait.pages import (
    MESSAGES,
    PageAutoriseeDep,
    acte_pdf,
    indisponible,
    page_du_navigateur,
    page_html,
)
from shared.blobs.base import IntegrityError
from shared.instants import date_simple, instant_personne
from shared.natures import NATURES as NATURES_DECLARATION
from shared.natures import TOUTES_NATURES
from shared.pages import taille_lisible

router = APIRouter(prefix="/coffre/retrait", include_in_schema=False)
ADRESSE = "/coffre/retrait"
_MODES = {"a_personne": "signification à personne", "a_domicile": "signification à domicile"}
#: Declared annexe types served as such; any other is served as `application/octet-stream`.
TYPES_ANNEXE_AFFICHABLES = frozenset({"application/pdf", "image/png", "image/jpeg", "text/plain"})
STATUTS_DECLARATION = {
    "en_attente_confirmation": "en attente de confirmation de l'adresse électronique",
    "en_attente_verification": "en cours de vérification",
    "active": "active",
    "rejetee": "rejetée",
    "revoquee": "révoquée",
    "expiree": "expirée",
}


#: The space's sign-in steps (`parcours.py`): bound to no link.
PORTE = parcours.Porte(cle=sess.ESPACE, adresse=ADRESSE)


def _resume(r: dict[str, Any]) -> dict[str, str]:
    natures = r.get("natures") or []
    if TOUTES_NATURES in natures:
        natures_fr = "tous les actes"
    else:
        natures_fr = ", ".join(NATURES_DECLARATION.get(str(n), str(n)) for n in natures)
    debut, fin = r.get("debut"), r.get("fin")
    return {
        "numero": str(r.get("numero", "")),
        "statut": STATUTS_DECLARATION.get(str(r.get("statut")), str(r.get("statut"))),
        "natures": natures_fr,
        "debut": _jour(debut),
        "fin": _jour(fin) if fin else "durée indéterminée",
    }


def _jour(valeur: object) -> str:
    try:
        return date_simple(date.fromisoformat(str(valeur)))
    except ValueError:
        return str(valeur)


async def _actes(coffre: Coffre, declarations: list[str]) -> list[dict[str, Any]]:
    async with coffre.db.read() as session:
        actes = await repository.actes_servis(session, declarations)
        annexes = await repository.annexes_de(session, [a.id for a in actes])
    par_acte: dict[str, list[dict[str, Any]]] = {}
    for annexe in annexes:
        par_acte.setdefault(annexe.acte_id, []).append(
            {
                "position": annexe.position,
                "nom": annexe.nom,
                "taille": taille_lisible(annexe.taille),
                "sha256": annexe.sha256,
            }
        )
    return [
        {
            "id": a.id,
            "nature": NATURES.get(a.nature, a.nature),
            "office": a.office_nom,
            "commissaire": a.commissaire_nom,
            "envoye_le": instant_personne(a.envoye_le, a.fuseau) if a.envoye_le else "",
            "pris_le": instant_personne(a.pris_connaissance_le, a.fuseau) if a.pris_connaissance_le else "",
            "avis": "avis_reception" in emission.applicables(a),
            "certificat": "certificat" in emission.applicables(a),
            "mode": _MODES.get(a.mode or "", ""),
            "taille": taille_lisible(a.taille),
            "sha256": a.sha256,
            "annexes": par_acte.get(a.id, []),
        }
        for a in actes
    ]


@router.get("", response_class=HTMLResponse)
async def espace(
    request: Request, coffre: CoffreDep, _: PageAutoriseeDep, erreur: str | None = None
) -> Response:
    contexte: dict[str, Any] = {"titre": "Mon espace destinataire", "erreur": MESSAGES.get(erreur or "")}
    nav, vivante = await parcours.etat(request, coffre, PORTE, contexte)
    if vivante is not None:
        contexte["declarations"] = [_resume(r) for r in vivante.resumes]
        contexte["actes"] = await _actes(coffre, vivante.declarations)
    return page_du_navigateur(request, coffre, nav, "espace.html", contexte)


@router.post("/connexion")
async def connexion(request: Request, coffre: CoffreDep) -> Response:
    return await parcours.connexion(request, coffre, PORTE)


@router.post("/code")
async def code(request: Request, coffre: CoffreDep) -> Response:
    return await parcours.code(request, coffre, PORTE)


@router.post("/recommencer")
async def recommencer(request: Request, coffre: CoffreDep) -> Response:
    """The way back from the code step (a mistyped address or password): the pending step ends."""
    return await parcours.recommencer(request, coffre, PORTE)


@router.post("/deconnexion")
async def deconnexion(request: Request, coffre: CoffreDep) -> Response:
    return await parcours.deconnexion(request, coffre, PORTE)


async def _connectee(request: Request, coffre: CoffreDep, _: PageAutoriseeDep) -> parcours.Connectee:
    return await parcours.connectee(request, coffre, PORTE)


#: Her signed-in session, still live at consent, on this site's own form (else the 429 page, or back
#: to the space saying why).
ConnecteeDep = Annotated[parcours.Connectee, Depends(_connectee)]


def _acte_absent() -> HTMLResponse:
    return page_html("introuvable.html", 404, titre="Document introuvable", absent=True)


def _disposition(nom: str) -> str:
    ascii_ = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in nom) or "annexe"
    return f"attachment; filename=\"{ascii_}\"; filename*=UTF-8''{quote(nom, safe='')}"


@router.post("/acte", response_model=None)
async def telecharger_acte(coffre: CoffreDep, c: ConnecteeDep) -> Response:
    """The acte's download: the first one is the prise de connaissance (as from a link's page)."""
    acte_id = c.champs.get("acte_id", "")[:36]
    return await acte_pdf(
        coffre, acte_id, declarations=c.vivante.declarations, personne=c.personne, absent=_acte_absent
    )


@router.post("/annexe", response_model=None)
async def telecharger_annexe(coffre: CoffreDep, c: ConnecteeDep) -> Response:
    """One annexe of an acte served on her, checked against its SHA-256, its download recorded."""
    try:
        position = int(c.champs.get("position", "")[:6])
    except ValueError:
        return _acte_absent()
    try:
        servie = await service.telecharger_annexe(
            coffre,
            c.champs.get("acte_id", "")[:36],
            position,
            declarations=c.vivante.declarations,
            personne=c.personne,
        )
    except ActeIntrouvable:
        return _acte_absent()
    except IntegrityError:
        return indisponible()
    annexe = servie.annexe
    headers = {
        "Content-Length": str(annexe.taille),
        "Content-Disposition": _disposition(annexe.nom),
        "Cache-Control": "no-store",
        # The office chose the annexe's bytes and its declared type: from this origin they are a file
        # to save, never a page that runs (were a browser to display it despite `attachment`).
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    type_servi = (
        annexe.type_contenu if annexe.type_contenu in TYPES_ANNEXE_AFFICHABLES else "application/octet-stream"
    )
    return StreamingResponse(servie.contenu, media_type=type_servi, headers=headers)


async def _document(coffre: Coffre, c: parcours.Connectee, type_: emission.TypeDocument) -> Response:
    """The sealed PDF as issued to the office (`emission.emettre`: issued once per state of its facts,
    the same bytes for her and for the office); never records a prise de connaissance."""
    async with coffre.db.read() as session:
        try:
            acte = await acte_du_destinataire(
                session, c.champs.get("acte_id", "")[:36], c.vivante.declarations
            )
        except ActeIntrouvable:
            return _acte_absent()
    if type_ not in emission.applicables(acte):
        return _acte_absent()
    emis = await emission.emettre(coffre, acte, type_)
    data = await coffre.blobs.read_bytes(emis.sha256)
    nom = f"{emission.NOMS[type_]}-{acte.id}-v{emis.version}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{nom}"', "Cache-Control": "no-store"},
    )


@router.post("/avis-de-reception", response_model=None)
async def avis_de_reception(coffre: CoffreDep, c: ConnecteeDep) -> Response:
    """Her avis de réception (sealed PDF), once she has taken cognisance."""
    return await _document(coffre, c, "avis_reception")


@router.post("/certificat", response_model=None)
async def certificat(coffre: CoffreDep, c: ConnecteeDep) -> Response:
    """The certificat de signification (sealed PDF), once the mode is fixed."""
    return await _document(coffre, c, "certificat")
