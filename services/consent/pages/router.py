"""The declaration form, e-mail code, proofs, récépissé and the personal space (HTML, French)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError

from services.consent.comptes import connexion
from services.consent.declarations import pieces, repository, service, soumission, vue
from services.consent.declarations.schemas import ContactChange, DeclarationCreate
from services.consent.dependencies import NowDep, SessionDep
from services.consent.identite import territoire_legal
from services.consent.mentions.textes import TYPES_PIECES, document
from services.consent.models import Declaration
from services.consent.pages.formulaire import corps_declaration, messages
from services.consent.registre import Registre, RegistreDep, registre_of
from shared.errors import ServiceError
from shared.http import STRICT_CSP
from shared.natures import NATURES, TOUTES_NATURES

router = APIRouter(prefix="/consent", tags=["pages"], include_in_schema=False)
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
    return jour.strftime("%d/%m/%Y") if jour else ""


def _instant_fr(instant: datetime | None, fuseau: str) -> str:
    """An instant on the declarant's legal clock (her domicile's, or the seat's), zone named."""
    if instant is None:
        return ""
    return f"{instant.astimezone(ZoneInfo(fuseau)):%d/%m/%Y à %H:%M} ({fuseau})"


_env.filters["natures_fr"] = _natures_fr
_env.filters["date_fr"] = _date_fr
_env.filters["instant_fr"] = _instant_fr
COOKIE = "signif_gestion"
COOKIE_SESSION = "signif_session"
STATUTS = {
    "en_attente_confirmation": "en attente de confirmation de l'adresse électronique",
    "en_attente_verification": "en cours de vérification",
    "active": "active",
    "rejetee": "rejetée",
    "revoquee": "révoquée",
    "expiree": "expirée",
}


def page(nom: str, status_code: int = 200, **contexte: Any) -> HTMLResponse:
    html = _env.get_template(nom).render(**contexte)
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={"Content-Security-Policy": STRICT_CSP, "Cache-Control": "no-store"},
    )


def _vers(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _personne(request: Request) -> str | None:
    """The person signed in on these pages (a consent destinataire session in its cookie), or None."""
    jeton = request.cookies.get(COOKIE_SESSION)
    return connexion.personne_de_session(registre_of(request), jeton) if jeton else None


async def _declaration(
    request: Request, session: Any, declaration_id: str, *, verrou: bool = False
) -> Declaration | None:
    """The declaration, if the cookies hold its management token or the session of its declarant."""
    ident, _, jeton = request.cookies.get(COOKIE, "").partition(":")
    preuve = service.Proprietaire(
        jeton=jeton if ident == declaration_id else None, personne_id=_personne(request)
    )
    if preuve.jeton is None and preuve.personne_id is None:
        return None
    try:
        declaration = await repository.charger(session, declaration_id, verrou=verrou)
        service.autoriser(declaration, preuve)
    except ServiceError:
        return None
    return declaration


def _avec_cookie(
    response: Response, registre: Registre, nom: str, valeur: str, *, max_age: int | None = None
) -> Response:
    """The personal space's cookies: only sent back to its pages, never to scripts nor other sites."""
    response.set_cookie(
        nom,
        valeur,
        max_age=max_age,
        path="/consent/espace",
        httponly=True,
        samesite="strict",
        secure=registre.settings.env == "production",
    )
    return response


def _acces_refuse() -> HTMLResponse:
    return page(
        "acces.html",
        403,
        titre="Accéder à ma déclaration",
        erreurs=["Jeton de gestion ou session absent, invalide ou expiré."],
    )


def _formulaire(f: dict[str, Any], erreurs: list[str], status_code: int = 200) -> HTMLResponse:
    return page(
        "declaration.html",
        status_code,
        titre="Déclarer mon consentement",
        mentions=document(),
        f=f,
        erreurs=erreurs,
    )


@router.get("/declaration", response_class=HTMLResponse)
async def formulaire() -> HTMLResponse:
    return _formulaire({"natures": []}, [])


@router.post("/declaration", response_class=HTMLResponse)
async def declarer(request: Request, session: SessionDep, registre: RegistreDep, now: NowDep) -> Response:
    form = await request.form()
    champs: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    champs["natures"] = [v for v in form.getlist("natures") if isinstance(v, str)]
    try:
        corps = DeclarationCreate.model_validate(corps_declaration(champs))
        declaration, jeton = await service.declarer(session, registre, corps, now=now)
    except ValidationError as exc:
        champs.pop("mot_de_passe", None)
        return _formulaire(champs, messages(exc), 422)
    except ServiceError as exc:
        champs.pop("mot_de_passe", None)
        return _formulaire(champs, [exc.detail], exc.status_code)
    response = page(
        "code.html",
        201,
        titre="Confirmer mon adresse",
        id=declaration.id,
        numero=declaration.numero,
        jeton=jeton,
    )
    return _avec_cookie(response, registre, COOKIE, f"{declaration.id}:{jeton}")


@router.post("/espace/{declaration_id}/code", response_class=HTMLResponse)
async def code(
    declaration_id: str,
    request: Request,
    code: Annotated[str, Form(max_length=12)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    declaration = await _declaration(request, session, declaration_id, verrou=True)
    if declaration is None:
        return _acces_refuse()
    erreur = await service.confirmer(session, registre, declaration, code.strip(), now=now)
    if erreur is not None:
        return page(
            "code.html", 422, titre="Confirmer mon adresse", id=declaration_id, erreurs=[erreur.detail]
        )
    return _vers(f"/consent/espace/{declaration_id}/pieces")


@router.post("/espace/{declaration_id}/code/renvoi", response_class=HTMLResponse)
async def renvoyer_code(
    declaration_id: str, request: Request, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    declaration = await _declaration(request, session, declaration_id, verrou=True)
    if declaration is None:
        return _acces_refuse()
    try:
        await service.renvoyer_code(session, registre, declaration, now=now)
    except ServiceError as exc:
        return page(
            "code.html",
            exc.status_code,
            titre="Confirmer mon adresse",
            id=declaration_id,
            erreurs=[exc.detail],
        )
    return page("code.html", titre="Confirmer mon adresse", id=declaration_id, renvoye=True)


async def _pieces(
    session: Any, declaration: Declaration, erreurs: list[str], status_code: int = 200
) -> HTMLResponse:
    return page(
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
async def voir_pieces(declaration_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    declaration = await _declaration(request, session, declaration_id)
    return _acces_refuse() if declaration is None else await _pieces(session, declaration, [])


@router.post("/espace/{declaration_id}/pieces", response_class=HTMLResponse)
async def deposer(
    declaration_id: str,
    request: Request,
    type: Annotated[str, Form(max_length=48)],
    fichier: Annotated[UploadFile, File()],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    declaration = await _declaration(request, session, declaration_id, verrou=True)
    if declaration is None:
        return _acces_refuse()
    try:
        await pieces.deposer(session, registre, declaration, type_piece=type, fichier=fichier, now=now)
    except ServiceError as exc:
        return await _pieces(session, declaration, [exc.detail], exc.status_code)
    return _vers(f"/consent/espace/{declaration_id}/pieces")


@router.post("/espace/{declaration_id}/soumission", response_class=HTMLResponse)
async def soumettre(
    declaration_id: str, request: Request, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    declaration = await _declaration(request, session, declaration_id, verrou=True)
    if declaration is None:
        return _acces_refuse()
    try:
        jws = await soumission.soumettre(session, registre, declaration, now=now)
    except ServiceError as exc:
        return await _pieces(session, declaration, [exc.detail], exc.status_code)
    return page(
        "recepisse.html",
        titre="Récépissé de votre déclaration",
        id=declaration.id,
        numero=declaration.numero,
        soumise_le=f"{now:%d/%m/%Y à %H:%M} UTC",
        jws=jws,
    )


async def _espace(
    session: Any, registre: Registre, declaration: Declaration, now: Any, **extra: Any
) -> HTMLResponse:
    d = await vue.vue(session, registre, declaration, now)
    attente = declaration.contact_attente is not None
    fuseau = territoire_legal(d.personne).fuseau
    return page(
        "espace.html",
        titre="Mon espace personnel",
        d=d,
        statuts=STATUTS,
        attente=attente,
        fuseau=fuseau,
        **extra,
    )


@router.get("/espace", response_class=HTMLResponse)
async def acces() -> HTMLResponse:
    return page("acces.html", titre="Accéder à ma déclaration")


@router.post("/espace", response_class=HTMLResponse)
async def ouvrir(
    declaration_id: Annotated[str, Form(max_length=36)],
    jeton: Annotated[str, Form(max_length=100)],
    session: SessionDep,
    registre: RegistreDep,
) -> Response:
    try:
        declaration = await repository.charger(session, declaration_id)
        service.autoriser(declaration, jeton)
    except ServiceError:
        return _acces_refuse()
    espace = _vers(f"/consent/espace/{declaration_id}")
    return _avec_cookie(espace, registre, COOKIE, f"{declaration_id}:{jeton}")


@router.post("/espace/connexion", response_class=HTMLResponse)
async def connecter(
    email: Annotated[str, Form(max_length=254)],
    mot_de_passe: Annotated[str, Form(max_length=256)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    """Sign-in, first step: the code goes to the declared address only if the password is right,
    and the next page is the same either way (no oracle on who has an account)."""
    resultat = await connexion.commencer(session, registre, email.strip(), mot_de_passe, now=now)
    if isinstance(resultat, ServiceError):
        return page("acces.html", 429, titre="Accéder à ma déclaration", erreurs=[resultat.detail])
    return page("acces_code.html", titre="Code de connexion", defi_id=resultat)


@router.post("/espace/connexion/{defi_id}", response_class=HTMLResponse)
async def saisir_code_connexion(
    defi_id: str,
    code: Annotated[str, Form(max_length=12)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    compte = await connexion.verifier_defi(session, registre, defi_id, code.strip(), "connexion", now=now)
    if isinstance(compte, ServiceError):
        return page(
            "acces_code.html", 401, titre="Code de connexion", defi_id=defi_id, erreurs=[compte.detail]
        )
    jeton = await connexion.jeton_destinataire(session, registre, compte, audience="consent")
    return _avec_cookie(
        _vers("/consent/espace/declarations"),
        registre,
        COOKIE_SESSION,
        jeton,
        max_age=registre.settings.destinataire_token_ttl,
    )


@router.get("/espace/declarations", response_class=HTMLResponse)
async def mes_declarations(
    request: Request, session: SessionDep, registre: RegistreDep, now: NowDep
) -> HTMLResponse:
    personne = _personne(request)
    if personne is None:
        erreur = "Session absente ou expirée : connectez-vous de nouveau."
        return page("acces.html", 401, titre="Accéder à ma déclaration", erreurs=[erreur])
    declarations = [
        await vue.vue(session, registre, d, now) for d in await repository.de_la_personne(session, personne)
    ]
    return page("declarations.html", titre="Mes déclarations", declarations=declarations, statuts=STATUTS)


@router.post("/espace/deconnexion", response_class=HTMLResponse)
async def deconnecter() -> HTMLResponse:
    response = page("acces.html", titre="Accéder à ma déclaration", message="Vous êtes déconnecté.")
    for nom in (COOKIE, COOKIE_SESSION):
        response.delete_cookie(nom, path="/consent/espace")
    return response


@router.get("/espace/{declaration_id}", response_class=HTMLResponse)
async def espace(
    declaration_id: str, request: Request, session: SessionDep, registre: RegistreDep, now: NowDep
) -> HTMLResponse:
    declaration = await _declaration(request, session, declaration_id)
    return _acces_refuse() if declaration is None else await _espace(session, registre, declaration, now)


@router.post("/espace/{declaration_id}/contact", response_class=HTMLResponse)
async def contact(
    declaration_id: str,
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    mobile: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    declaration = await _declaration(request, session, declaration_id, verrou=True)
    if declaration is None:
        return _acces_refuse()
    try:
        corps = ContactChange.model_validate({"contact": {"email": email, "mobile": mobile or None}})
        resultat = await service.changer_contact(session, registre, declaration, corps, now=now)
    except ValidationError:
        return await _espace(session, registre, declaration, now, erreurs=["Coordonnées invalides."])
    except ServiceError as exc:
        return await _espace(session, registre, declaration, now, erreurs=[exc.detail])
    if isinstance(resultat, service.ContactEnAttente):
        message = (
            f"Un code vient d'être envoyé à {resultat.email}. Saisissez-le ci-dessous : vos avis continuent "
            "d'être envoyés à l'adresse actuelle tant que la nouvelle n'est pas confirmée."
        )
        return await _espace(session, registre, declaration, now, message=message)
    return await _espace(session, registre, declaration, now, message="Vos coordonnées ont été mises à jour.")


@router.post("/espace/{declaration_id}/contact/confirmation", response_class=HTMLResponse)
async def confirmer_contact(
    declaration_id: str,
    request: Request,
    code: Annotated[str, Form(max_length=12)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    declaration = await _declaration(request, session, declaration_id, verrou=True)
    if declaration is None:
        return _acces_refuse()
    try:
        resultat = await service.confirmer_contact(session, registre, declaration, code.strip(), now=now)
    except ServiceError as exc:
        return await _espace(session, registre, declaration, now, erreurs=[exc.detail])
    if isinstance(resultat, ServiceError):
        return await _espace(session, registre, declaration, now, erreurs=[resultat.detail])
    return await _espace(session, registre, declaration, now, message="Vos coordonnées ont été mises à jour.")


@router.post("/espace/{declaration_id}/revocation", response_class=HTMLResponse)
async def revoquer(
    declaration_id: str, request: Request, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    declaration = await _declaration(request, session, declaration_id, verrou=True)
    if declaration is None:
        return _acces_refuse()
    try:
        await service.revoquer(session, registre, declaration, now=now, acteur="declarant")
    except ServiceError as exc:
        return await _espace(session, registre, declaration, now, erreurs=[exc.detail])
    return await _espace(session, registre, declaration, now, message="Votre consentement est révoqué.")
