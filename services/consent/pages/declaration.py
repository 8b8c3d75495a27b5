"""The home page and the declaration's steps: the form (postal code, then commune), the e-mail code,
the proofs, the submission and its récépissé."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from services.consent.declarations import pieces, repository, service, soumission
from services.consent.declarations.schemas import DeclarationCreate
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.errors import CodeInvalide
from services.consent.mentions.textes import TYPES_PIECES, document
from services.consent.models import Declaration
from services.consent.pages import navigateur as nav_
from services.consent.pages.contexte import (
    DeclarationLueDep,
    DeclarationPostDep,
    FormulaireDep,
    Pages,
    PagesDep,
    _env,
)
from services.consent.pages.formulaire import (
    LIBELLES,
    corps_declaration,
    erreurs_par_champ,
    premier_en_erreur,
)
from shared.communes import commune, communes_du_code_postal, normaliser_code_postal
from shared.errors import ServiceError
from shared.http import STRICT_CSP
from shared.instants import instant_personne

router = APIRouter(prefix="/consent", tags=["pages"], include_in_schema=False)


def _formulaire(
    p: Pages,
    f: dict[str, Any],
    erreurs: dict[str, str] | None = None,
    generales: list[str] | None = None,
    status_code: int = 200,
    *,
    vers_commune: bool = False,
) -> HTMLResponse:
    """The declaration form, each error beside its field (`aria-describedby`), the first one focused;
    the password is never echoed back."""
    f = {k: v for k, v in f.items() if k != "mot_de_passe"}
    erreurs = erreurs or {}
    return p.page(
        "declaration.html",
        status_code,
        titre="Déclarer mon consentement",
        mentions=document(),
        f=f,
        e=erreurs,
        libelles=LIBELLES,
        premier=premier_en_erreur(erreurs) or ("commune_insee" if vers_commune else None),
        generales=generales or [],
        communes=communes_du_code_postal(str(f.get("code_postal", ""))),
    )


def commune_choisie(champs: dict[str, Any]) -> dict[str, str]:
    """Postal code, then the commune chosen among that code's (or its only one): the INSEE code and
    the commune's name are the platform's, never typed. Returns the errors beside those fields."""
    saisi = str(champs.get("code_postal", "")).strip()
    code = normaliser_code_postal(saisi)
    communes = communes_du_code_postal(code) if code else ()
    if not saisi:
        return {"code_postal": "Code postal : à renseigner."}
    if not communes:
        return {
            "code_postal": "Code postal inconnu : indiquez les 5 chiffres du code postal de votre domicile."
        }
    champs["code_postal"] = code
    choisie = commune(code, str(champs.get("commune_insee", ""))) if code else None
    if choisie is None and len(communes) == 1:
        choisie = communes[0]
    if choisie is None:
        champs["commune_insee"] = ""
        return {"commune_insee": "Choisissez votre commune dans la liste des communes de ce code postal."}
    champs["commune_insee"], champs["commune"] = choisie.code_insee, choisie.nom
    return {}


accueil = APIRouter(include_in_schema=False)


@accueil.get("/", response_class=HTMLResponse)
async def page_accueil() -> HTMLResponse:
    """The platform's home page: declaring, the destinataire's space, the docs (no session, no cookie)."""
    html = _env.get_template("accueil.html").render(titre="Signification électronique des actes")
    return HTMLResponse(html, headers={"Content-Security-Policy": STRICT_CSP, "Cache-Control": "no-store"})


@router.get("/declaration", response_class=HTMLResponse)
async def formulaire(p: PagesDep) -> HTMLResponse:
    return _formulaire(p, {"natures": []})


@router.post("/declaration", response_class=HTMLResponse)
async def declarer(
    request: Request, p: FormulaireDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    form = await request.form()  # the one FastAPI read (CSRF checked)
    champs: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    champs["natures"] = [v for v in form.getlist("natures") if isinstance(v, str)]
    etape = champs.pop("etape", "envoyer")
    erreurs = commune_choisie(champs)
    if etape == "communes":  # the round trip that lists the communes of the postal code (no script)
        erreurs.pop("commune_insee", None)  # not an error yet: the list is what she asked for
        statut = 422 if erreurs else 200
        return _formulaire(p, champs, erreurs, status_code=statut, vers_commune=not erreurs)
    champs["pays"] = "France"
    try:
        corps = DeclarationCreate.model_validate(corps_declaration(champs))
    except ValidationError as exc:
        par_champ, generales = erreurs_par_champ(exc)
        if "code_postal" in erreurs:  # no commune to choose before a known postal code
            par_champ.pop("commune_insee", None)
        return _formulaire(p, champs, {**par_champ, **erreurs}, generales, 422)
    if erreurs:
        return _formulaire(p, champs, erreurs, status_code=422)
    try:
        declaration, jeton = await service.declarer(session, registre, corps, now=now)
    except ServiceError as exc:
        return _formulaire(p, champs, generales=[exc.detail], status_code=exc.status_code)
    p.nav = await nav_.ouvrir_espace(session, registre, p.nav, now=now, declaration_id=declaration.id)
    return p.page(
        "code.html",
        201,
        titre="Confirmer mon adresse",
        id=declaration.id,
        numero=declaration.numero,
        jeton=jeton,
    )


@router.post("/espace/{declaration_id}/code", response_class=HTMLResponse)
async def code(
    declaration_id: str,
    declaration: DeclarationPostDep,
    p: PagesDep,
    code: Annotated[str, Form(max_length=12)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    try:
        await service.confirmer(session, registre, declaration, code.strip(), now=now)
    except CodeInvalide as erreur:  # its attempt still commits: the handler returns normally
        return p.page(
            "code.html", 422, titre="Confirmer mon adresse", id=declaration_id, erreurs=[erreur.detail]
        )
    return p.vers(f"/consent/espace/{declaration_id}/pieces")


@router.post("/espace/{declaration_id}/code/renvoi", response_class=HTMLResponse)
async def renvoyer_code(
    declaration_id: str,
    declaration: DeclarationPostDep,
    p: PagesDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    try:
        await service.renvoyer_code(session, registre, declaration, now=now)
    except ServiceError as exc:
        return p.page(
            "code.html",
            exc.status_code,
            titre="Confirmer mon adresse",
            id=declaration_id,
            erreurs=[exc.detail],
        )
    return p.page("code.html", titre="Confirmer mon adresse", id=declaration_id, renvoye=True)


async def _pieces(
    p: Pages, session: Any, declaration: Declaration, erreurs: list[str], status_code: int = 200
) -> HTMLResponse:
    return p.page(
        "pieces.html",
        status_code,
        titre="Pièces justificatives",
        id=declaration.id,
        erreurs=erreurs,
        pieces=await repository.pieces(session, declaration.id),
        types=[{"code": c, "libelle": lib} for c, lib, p in TYPES_PIECES if p == declaration.type_personne],
        libelles={c: lib for c, lib, _ in TYPES_PIECES},
    )


@router.get("/espace/{declaration_id}/pieces", response_class=HTMLResponse)
async def voir_pieces(declaration: DeclarationLueDep, p: PagesDep, session: SessionDep) -> HTMLResponse:
    return await _pieces(p, session, declaration, [])


@router.post("/espace/{declaration_id}/pieces", response_class=HTMLResponse)
async def deposer(
    declaration_id: str,
    declaration: DeclarationPostDep,
    p: PagesDep,
    type: Annotated[str, Form(max_length=48)],
    fichier: Annotated[UploadFile, File()],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    try:
        await pieces.deposer(session, registre, declaration, type_piece=type, fichier=fichier, now=now)
    except ServiceError as exc:
        return await _pieces(p, session, declaration, [exc.detail], exc.status_code)
    return p.vers(f"/consent/espace/{declaration_id}/pieces")


@router.post("/espace/{declaration_id}/soumission", response_class=HTMLResponse)
async def soumettre(
    declaration: DeclarationPostDep, p: PagesDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    try:
        jws = await soumission.soumettre(session, registre, declaration, now=now)
    except ServiceError as exc:
        return await _pieces(p, session, declaration, [exc.detail], exc.status_code)
    version = await repository.version_courante(session, declaration)
    return p.page(
        "recepisse.html",
        titre="Récépissé de votre déclaration",
        id=declaration.id,
        numero=declaration.numero,
        soumise_le=instant_personne(now, version.fuseau),
        jws=jws,
    )
