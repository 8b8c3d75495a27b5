"""Signing in to the personal space (management token, or password then one-time code), the
forgotten password, the signed-in person's list of declarations, and signing out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.background import BackgroundTask

from services.consent.comptes import connexion, reinitialisation
from services.consent.comptes.router import Reinitialisation, limiter_client
from services.consent.declarations import repository, service, vue
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.errors import AuthentificationDestinataire, CompteVerrouille
from services.consent.pages import navigateur as nav_
from services.consent.pages.contexte import STATUTS, FormulaireDep, Pages, PagesDep
from shared.errors import ServiceError

router = APIRouter(prefix="/consent", tags=["pages"], include_in_schema=False)


@router.get("/espace", response_class=HTMLResponse)
async def acces(p: PagesDep) -> HTMLResponse:
    return p.page("acces.html", titre="Accéder à ma déclaration")


@router.post("/espace", response_class=HTMLResponse)
async def ouvrir(
    p: FormulaireDep,
    declaration_id: Annotated[str, Form(max_length=40)],
    jeton: Annotated[str, Form(max_length=100)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    """The management token opens a session on its declaration (the token itself is not kept)."""
    try:
        declaration = await repository.par_numero_ou_id(session, declaration_id)
        service.autoriser(declaration, jeton.strip())
    except ServiceError:
        return p.acces_refuse()
    p.nav = await nav_.ouvrir_espace(session, registre, p.nav, now=now, declaration_id=declaration.id)
    return p.vers(f"/consent/espace/{declaration.id}")


@router.post("/espace/connexion", response_class=HTMLResponse)
async def connecter(
    request: Request,
    p: FormulaireDep,
    email: Annotated[str, Form(max_length=254)],
    mot_de_passe: Annotated[str, Form(max_length=256)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    """Sign-in, first step: the code goes to the declared address only if the password is right,
    and the next page is the same either way (no oracle on who has an account)."""
    try:
        limiter_client(request, registre, now)
        defi_id, envoi = await connexion.commencer(session, registre, email.strip(), mot_de_passe, now=now)
    except ServiceError as exc:
        return p.page("acces.html", exc.status_code, titre="Accéder à ma déclaration", erreurs=[exc.detail])
    reponse = p.page("acces_code.html", titre="Code de connexion", defi_id=defi_id)
    reponse.background = BackgroundTask(envoi) if envoi is not None else None
    return reponse


@router.post("/espace/connexion/{defi_id}", response_class=HTMLResponse)
async def saisir_code_connexion(
    defi_id: str,
    p: FormulaireDep,
    code: Annotated[str, Form(max_length=12)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> Response:
    try:
        compte = await connexion.verifier_defi(session, registre, defi_id, code.strip(), "connexion", now=now)
    except (AuthentificationDestinataire, CompteVerrouille) as echec:  # counters still commit
        if echec.status_code == 429:  # the lock page: what happened and what she can still do
            return p.page("acces_code.html", 429, titre="Compte verrouillé", defi_id=defi_id, verrouille=True)
        return p.page(
            "acces_code.html",
            echec.status_code,
            titre="Code de connexion",
            defi_id=defi_id,
            erreurs=[echec.detail],
        )
    p.nav = await nav_.ouvrir_espace(session, registre, p.nav, now=now, personne_id=compte.personne_id)
    return p.vers("/consent/espace/declarations")


def _reinitialisation(p: Pages, status_code: int = 200, **contexte: Any) -> HTMLResponse:
    contexte.setdefault("f", {})
    return p.page("reinitialisation.html", status_code, titre="Mot de passe oublié", **contexte)


@router.get("/espace/reinitialisation", response_class=HTMLResponse)
async def mot_de_passe_oublie(p: PagesDep) -> HTMLResponse:
    return _reinitialisation(p)


@router.post("/espace/reinitialisation", response_class=HTMLResponse)
async def demander_reinitialisation(
    request: Request,
    p: FormulaireDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=254)] = "",
    date_naissance: Annotated[str, Form(max_length=10)] = "",
    siren: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The reset re-proves the e-mail (a code) and the date of birth or SIREN; the next page is the
    same whether or not they match an account (no oracle), and the reset is logged."""
    f = {"email": email, "date_naissance": date_naissance, "siren": siren}
    try:
        corps = Reinitialisation.model_validate(
            {
                "email": email,
                "date_naissance": date_naissance or None,
                "siren": siren.replace(" ", "") or None,
            }
        )
    except ValidationError:
        erreur = (
            "Indiquez votre adresse électronique, et soit votre date de naissance, soit le SIREN "
            "(9 chiffres) de la personne morale."
        )
        return _reinitialisation(p, 422, f=f, erreurs=[erreur])
    try:
        limiter_client(request, registre, now)
        defi_id, envoi = await reinitialisation.demander(
            session,
            registre,
            str(corps.email),
            date_naissance=corps.date_naissance,
            siren=corps.siren,
            now=now,
        )
    except ServiceError as exc:
        return _reinitialisation(p, exc.status_code, f=f, erreurs=[exc.detail])
    reponse = _reinitialisation(p, etape="code", defi_id=defi_id)
    reponse.background = BackgroundTask(envoi) if envoi is not None else None
    return reponse


@router.post("/espace/reinitialisation/{defi_id}", response_class=HTMLResponse)
async def reinitialiser(
    defi_id: str,
    p: FormulaireDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    code: Annotated[str, Form(max_length=12)] = "",
    mot_de_passe: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    if len(mot_de_passe) < 12:
        erreur = "Le nouveau mot de passe doit compter 12 caractères au moins."
        return _reinitialisation(p, 422, etape="code", defi_id=defi_id[:36], erreurs=[erreur])
    try:
        await reinitialisation.terminer(session, registre, defi_id[:36], code.strip(), mot_de_passe, now=now)
    except (AuthentificationDestinataire, CompteVerrouille) as erreur_code:
        return _reinitialisation(
            p, erreur_code.status_code, etape="code", defi_id=defi_id[:36], erreurs=[erreur_code.detail]
        )
    return _reinitialisation(p, etape="fait")


@router.get("/espace/declarations", response_class=HTMLResponse)
async def mes_declarations(
    p: PagesDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> HTMLResponse:
    personne = p.nav.personne_id
    if personne is None:
        erreur = "Session absente ou expirée : connectez-vous de nouveau."
        return p.page("acces.html", 401, titre="Accéder à ma déclaration", erreurs=[erreur])
    declarations = [
        await vue.vue(session, registre, d, now) for d in await repository.de_la_personne(session, personne)
    ]
    return p.page("declarations.html", titre="Mes déclarations", declarations=declarations, statuts=STATUTS)


@router.post("/espace/deconnexion", response_class=HTMLResponse)
async def deconnecter(
    p: FormulaireDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> HTMLResponse:
    p.nav = await nav_.fermer(session, registre, p.nav, now=now)
    return p.page("acces.html", titre="Accéder à ma déclaration", message="Vous êtes déconnecté.")
