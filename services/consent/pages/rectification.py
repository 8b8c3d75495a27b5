"""Rectifying one's identity or domicile from the personal space, with new proofs
(`declarations.rectification`): one page, the data as in force to correct, the postal code then the
commune (the same round trip as the declaration form, without script), and the proofs. The
declaration in force stays in force until the operator accepts the rectification; the page says so.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData, UploadFile

from services.consent.declarations import rectification, vue
from services.consent.declarations.schemas import Personne
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.mentions.textes import TYPES_PIECES
from services.consent.models import Declaration
from services.consent.pages.contexte import DeclarationLueDep, DeclarationPostDep, Pages, PagesDep
from services.consent.pages.declaration import commune_choisie
from services.consent.pages.espace import espace_page
from services.consent.pages.formulaire import (
    LIBELLES,
    corps_declaration,
    erreurs_par_champ,
    premier_en_erreur,
)
from shared.communes import communes_du_code_postal
from shared.errors import ServiceError
from shared.pages import PageRefusee

router = APIRouter(prefix="/consent", tags=["pages"], include_in_schema=False)
_PERSONNE = TypeAdapter(Personne)
#: The proofs asked for on the page, by kind of person: (form field, fixed type or None, label).
PIECES_PAGE = {
    "physique": (
        ("1", None, "Pièce d'identité — si votre identité change"),
        ("2", "justificatif_domicile", "Justificatif de domicile — si votre domicile change"),
    ),
    "morale": (
        ("1", "pouvoirs_representant", "Justificatif des pouvoirs du représentant légal (extrait Kbis…)"),
        ("2", "identite_representant", "Pièce d'identité du représentant légal — s'il change"),
        ("3", "justificatif_siege", "Justificatif du siège social — si le siège change"),
    ),
}


def champs_de(personne: dict[str, Any]) -> dict[str, Any]:
    """The form's fields from a stored identity (the page opens on the data in force)."""
    adresse = personne.get("siege" if personne.get("type") == "morale" else "domicile") or {}
    representant = personne.get("representant") or {}
    return {
        **{k: v for k, v in personne.items() if isinstance(v, str)},
        **{k: adresse.get(k, "") for k in ("adresse", "code_postal", "commune", "commune_insee")},
        "rep_nom": representant.get("nom", ""),
        "rep_prenoms": representant.get("prenoms", ""),
    }


def _page(
    p: Pages,
    declaration: Declaration,
    f: dict[str, Any],
    erreurs: dict[str, str] | None = None,
    generales: list[str] | None = None,
    status_code: int = 200,
    *,
    vers_commune: bool = False,
) -> HTMLResponse:
    erreurs = erreurs or {}
    return p.page(
        "rectification.html",
        status_code,
        titre="Rectifier mon identité ou mon domicile",
        id=declaration.id,
        numero=declaration.numero,
        type_personne=declaration.type_personne,
        f=f,
        e=erreurs,
        libelles=LIBELLES,
        premier=premier_en_erreur(erreurs)
        or ("fichier_1" if "pieces" in erreurs else None)
        or ("commune_insee" if vers_commune else None),
        generales=generales or [],
        communes=communes_du_code_postal(str(f.get("code_postal", ""))),
        pieces=PIECES_PAGE[declaration.type_personne],
        types_identite=[
            (c, lib) for c, lib, qui in TYPES_PIECES if qui == "physique" and c != "justificatif_domicile"
        ],
    )


async def _rectifiable(p: Pages, session: Any, registre: Any, declaration: Declaration, now: Any) -> Any:
    """The declaration's view, else `PageRefusee` with the page that says why it cannot be rectified now."""
    d = await vue.vue(session, registre, declaration, now)
    if d.statut != "active" or d.rectification is not None:
        raison = (
            "Une rectification est déjà en cours d'examen : attendez la décision de l'opérateur."
            if d.rectification is not None
            else "Seule une déclaration en vigueur (active) peut être rectifiée."
        )
        page = await espace_page(p, session, registre, declaration, now, erreurs=[raison], status_code=409)
        raise PageRefusee(page)
    return d


@router.get("/espace/{declaration_id}/rectification", response_class=HTMLResponse)
async def formulaire(
    declaration: DeclarationLueDep, p: PagesDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    d = await _rectifiable(p, session, registre, declaration, now)
    return _page(p, declaration, champs_de(d.personne))


@router.post("/espace/{declaration_id}/rectification", response_class=HTMLResponse)
async def rectifier(
    declaration: DeclarationPostDep,
    request: Request,
    p: PagesDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    form = await request.form()  # the one FastAPI read (CSRF checked)
    try:
        return await _rectifier(declaration, form, p, session, registre, now)
    finally:
        await form.close()  # the uploaded files' temporary files


async def _rectifier(
    declaration: Declaration, form: FormData, p: Pages, session: Any, registre: Any, now: Any
) -> Response:
    champs: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    d = await _rectifiable(p, session, registre, declaration, now)
    champs["type"] = declaration.type_personne
    if declaration.type_personne == "morale":
        champs["siren"] = str(d.personne.get("siren", ""))  # shown, never rectified
    etape = champs.pop("etape", "envoyer")
    erreurs = commune_choisie(champs)
    if etape == "communes":
        erreurs.pop("commune_insee", None)
        return _page(
            p, declaration, champs, erreurs, status_code=422 if erreurs else 200, vers_commune=not erreurs
        )
    champs["pays"] = "France"
    try:
        personne = _PERSONNE.validate_python(corps_declaration(champs)["personne"])
    except ValidationError as exc:
        par_champ, generales = erreurs_par_champ(exc)
        if "code_postal" in erreurs:
            par_champ.pop("commune_insee", None)
        return _page(p, declaration, champs, {**par_champ, **erreurs}, generales, 422)
    if erreurs:
        return _page(p, declaration, champs, erreurs, status_code=422)
    fichiers: list[tuple[str, UploadFile]] = []
    for numero, type_fixe, _ in PIECES_PAGE[declaration.type_personne]:
        fichier = form.get(f"fichier_{numero}")
        if isinstance(fichier, UploadFile) and fichier.filename:
            fichiers.append((type_fixe or str(form.get(f"type_{numero}", "")), fichier))
    try:
        await rectification.rectifier(session, registre, declaration, personne, fichiers, now=now)
    except ServiceError as exc:
        rejoindre = "Par sécurité, le navigateur ne garde pas les fichiers : joignez-les de nouveau."
        if exc.status_code in (409, 413, 415):  # about the proofs: said beside them too, focused there
            erreur = {"pieces": f"{exc.detail} {rejoindre}"}
            return _page(p, declaration, champs, erreur, [exc.detail, rejoindre], exc.status_code)
        return _page(p, declaration, champs, generales=[exc.detail, rejoindre], status_code=exc.status_code)
    message = (
        "Votre rectification est envoyée à l'opérateur du registre, avec vos pièces. Jusqu'à sa décision, "
        "votre déclaration reste en vigueur telle qu'elle était. Un courriel vous dira sa décision."
    )
    return await espace_page(p, session, registre, declaration, now, message=message)
