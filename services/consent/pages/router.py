"""The declaration form, e-mail code, proofs, récépissé and the personal space (HTML, French).

Every POST needs this site's origin and the CSRF value bound to the browser's session
(`navigateur.py`); the session is a server-side record, never the management token.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from starlette.background import BackgroundTask

from services.consent.comptes import connexion, reinitialisation
from services.consent.comptes.router import Reinitialisation, limiter_client
from services.consent.declarations import pieces, repository, service, soumission, vue
from services.consent.declarations.schemas import ContactChange, DeclarationCreate
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.errors import AuthentificationDestinataire, CodeInvalide, CompteVerrouille
from services.consent.identite import territoire_legal
from services.consent.mentions.textes import TYPES_PIECES, document
from services.consent.models import Declaration
from services.consent.pages import navigateur as nav_
from services.consent.pages.formulaire import (
    LIBELLES,
    corps_declaration,
    erreurs_par_champ,
    premier_en_erreur,
)
from services.consent.pages.navigateur import Navigateur
from services.consent.registre import Registre
from shared.communes import commune, communes_du_code_postal, normaliser_code_postal
from shared.errors import ServiceError
from shared.http import STRICT_CSP
from shared.instants import date_simple, instant_personne
from shared.natures import NATURES, TOUTES_NATURES
from shared.pages import taille_lisible

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
    """« 16 mars 2026 » (`shared.instants.date_simple`)."""
    return date_simple(jour) if jour else ""


def _instant_fr(instant: datetime | None, fuseau: str) -> str:
    """An instant on the declarant's legal clock (her domicile's, or the seat's), zone named:
    « mardi 8 décembre 2026 à 10 h 05 (heure de La Réunion) » (`shared.instants.instant_personne`)."""
    if instant is None:
        return ""
    return instant_personne(instant, fuseau)


_env.filters["natures_fr"] = _natures_fr
_env.filters["date_fr"] = _date_fr
_env.filters["instant_fr"] = _instant_fr
_env.filters["taille_fr"] = taille_lisible
_env.filters["jour_fr"] = lambda iso: _date_fr(date.fromisoformat(str(iso))) if iso else ""
Csrf = Annotated[str, Form(max_length=100)]
STATUTS = {
    "en_attente_confirmation": "en attente de confirmation de l'adresse électronique",
    "en_attente_verification": "en cours de vérification",
    "active": "active",
    "rejetee": "rejetée",
    "revoquee": "révoquée",
    "expiree": "expirée",
}


class Pages:
    """One request's page context: renders templates with the browser's CSRF value and sets its
    cookie when it is new."""

    def __init__(self, request: Request, registre: Registre, nav: Navigateur) -> None:
        self.request, self.registre, self.nav = request, registre, nav

    def page(self, nom: str, status_code: int = 200, **contexte: Any) -> HTMLResponse:
        html = _env.get_template(nom).render(csrf=self.nav.csrf, **contexte)
        response = HTMLResponse(
            html,
            status_code=status_code,
            headers={"Content-Security-Policy": STRICT_CSP, "Cache-Control": "no-store"},
        )
        nav_.avec_cookie(response, self.request, self.registre, self.nav)
        return response

    def vers(self, url: str) -> Response:
        response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
        return nav_.avec_cookie(response, self.request, self.registre, self.nav)

    def valide(self, csrf: str | None) -> bool:
        return nav_.formulaire_valide(self.request, self.registre, self.nav, csrf)

    def acces_refuse(self) -> HTMLResponse:
        return self.page(
            "acces.html",
            403,
            titre="Accéder à ma déclaration",
            erreurs=["Jeton de gestion ou session absent, invalide ou expiré."],
        )

    def formulaire_refuse(self) -> HTMLResponse:
        """A POST without this page's CSRF value, or from another site: nothing done."""
        return self.page(
            "acces.html",
            403,
            titre="Accéder à ma déclaration",
            erreurs=["Ce formulaire a expiré ou ne vient pas de ce site : rien n'a été fait. Recommencez."],
        )

    async def declaration(
        self, session: Any, declaration_id: str, *, verrou: bool = False
    ) -> Declaration | None:
        """The declaration, if this browser's session was opened with its management token or is its
        declarant's (the same None for an unknown id)."""
        preuve = self.nav.preuve
        if preuve.personne_id is None and preuve.gestion is None:
            return None
        try:
            declaration = await repository.charger(session, declaration_id, verrou=verrou)
            service.autoriser(declaration, preuve)
        except ServiceError:
            return None
        return declaration


async def _pages(request: Request, session: SessionDep, registre: RegistreDep, now: NowDep) -> Pages:
    return Pages(request, registre, await nav_.navigateur(request, session, registre, now))


PagesDep = Annotated[Pages, Depends(_pages)]


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


def _commune_choisie(champs: dict[str, Any]) -> dict[str, str]:
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
    request: Request, p: PagesDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    form = await request.form()
    champs: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    champs["natures"] = [v for v in form.getlist("natures") if isinstance(v, str)]
    if not p.valide(champs.pop("csrf", None)):
        return p.formulaire_refuse()
    etape = champs.pop("etape", "envoyer")
    erreurs = _commune_choisie(champs)
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
    p: PagesDep,
    code: Annotated[str, Form(max_length=12)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    csrf: Csrf = "",
) -> Response:
    if not p.valide(csrf):
        return p.formulaire_refuse()
    declaration = await p.declaration(session, declaration_id, verrou=True)
    if declaration is None:
        return p.acces_refuse()
    try:
        await service.confirmer(session, registre, declaration, code.strip(), now=now)
    except CodeInvalide as erreur:  # its attempt still commits: the handler returns normally
        return p.page(
            "code.html", 422, titre="Confirmer mon adresse", id=declaration_id, erreurs=[erreur.detail]
        )
    return p.vers(f"/consent/espace/{declaration_id}/pieces")


@router.post("/espace/{declaration_id}/code/renvoi", response_class=HTMLResponse)
async def renvoyer_code(
    declaration_id: str, p: PagesDep, session: SessionDep, registre: RegistreDep, now: NowDep, csrf: Csrf = ""
) -> Response:
    if not p.valide(csrf):
        return p.formulaire_refuse()
    declaration = await p.declaration(session, declaration_id, verrou=True)
    if declaration is None:
        return p.acces_refuse()
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
async def voir_pieces(declaration_id: str, p: PagesDep, session: SessionDep) -> HTMLResponse:
    declaration = await p.declaration(session, declaration_id)
    return p.acces_refuse() if declaration is None else await _pieces(p, session, declaration, [])


@router.post("/espace/{declaration_id}/pieces", response_class=HTMLResponse)
async def deposer(
    declaration_id: str,
    p: PagesDep,
    type: Annotated[str, Form(max_length=48)],
    fichier: Annotated[UploadFile, File()],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    csrf: Csrf = "",
) -> Response:
    if not p.valide(csrf):
        return p.formulaire_refuse()
    declaration = await p.declaration(session, declaration_id, verrou=True)
    if declaration is None:
        return p.acces_refuse()
    try:
        await pieces.deposer(session, registre, declaration, type_piece=type, fichier=fichier, now=now)
    except ServiceError as exc:
        return await _pieces(p, session, declaration, [exc.detail], exc.status_code)
    return p.vers(f"/consent/espace/{declaration_id}/pieces")


@router.post("/espace/{declaration_id}/soumission", response_class=HTMLResponse)
async def soumettre(
    declaration_id: str, p: PagesDep, session: SessionDep, registre: RegistreDep, now: NowDep, csrf: Csrf = ""
) -> Response:
    if not p.valide(csrf):
        return p.formulaire_refuse()
    declaration = await p.declaration(session, declaration_id, verrou=True)
    if declaration is None:
        return p.acces_refuse()
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


async def _espace(
    p: Pages, session: Any, registre: Registre, declaration: Declaration, now: Any, **extra: Any
) -> HTMLResponse:
    d = await vue.vue(session, registre, declaration, now)
    attente = declaration.contact_attente is not None
    fuseau = territoire_legal(d.personne).fuseau
    return p.page(
        "espace.html",
        titre="Mon espace personnel",
        d=d,
        statuts=STATUTS,
        attente=attente,
        fuseau=fuseau,
        libelles_pieces={c: lib for c, lib, _ in TYPES_PIECES},
        **extra,
    )


@router.get("/espace", response_class=HTMLResponse)
async def acces(p: PagesDep) -> HTMLResponse:
    return p.page("acces.html", titre="Accéder à ma déclaration")


@router.post("/espace", response_class=HTMLResponse)
async def ouvrir(
    p: PagesDep,
    declaration_id: Annotated[str, Form(max_length=40)],
    jeton: Annotated[str, Form(max_length=100)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    csrf: Csrf = "",
) -> Response:
    """The management token opens a session on its declaration (the token itself is not kept)."""
    if not p.valide(csrf):
        return p.formulaire_refuse()
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
    p: PagesDep,
    email: Annotated[str, Form(max_length=254)],
    mot_de_passe: Annotated[str, Form(max_length=256)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    csrf: Csrf = "",
) -> Response:
    """Sign-in, first step: the code goes to the declared address only if the password is right,
    and the next page is the same either way (no oracle on who has an account)."""
    if not p.valide(csrf):
        return p.formulaire_refuse()
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
    p: PagesDep,
    code: Annotated[str, Form(max_length=12)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    csrf: Csrf = "",
) -> Response:
    if not p.valide(csrf):
        return p.formulaire_refuse()
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
    p: PagesDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=254)] = "",
    date_naissance: Annotated[str, Form(max_length=10)] = "",
    siren: Annotated[str, Form(max_length=20)] = "",
    csrf: Csrf = "",
) -> Response:
    """The reset re-proves the e-mail (a code) and the date of birth or SIREN; the next page is the
    same whether or not they match an account (no oracle), and the reset is logged."""
    if not p.valide(csrf):
        return p.formulaire_refuse()
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
    p: PagesDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    code: Annotated[str, Form(max_length=12)] = "",
    mot_de_passe: Annotated[str, Form(max_length=256)] = "",
    csrf: Csrf = "",
) -> Response:
    if not p.valide(csrf):
        return p.formulaire_refuse()
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
    p: PagesDep, session: SessionDep, registre: RegistreDep, now: NowDep, csrf: Csrf = ""
) -> HTMLResponse:
    if not p.valide(csrf):
        return p.formulaire_refuse()
    p.nav = await nav_.fermer(session, registre, p.nav, now=now)
    return p.page("acces.html", titre="Accéder à ma déclaration", message="Vous êtes déconnecté.")


@router.get("/espace/{declaration_id}", response_class=HTMLResponse)
async def espace(
    declaration_id: str, p: PagesDep, session: SessionDep, registre: RegistreDep, now: NowDep
) -> HTMLResponse:
    declaration = await p.declaration(session, declaration_id)
    return p.acces_refuse() if declaration is None else await _espace(p, session, registre, declaration, now)


@router.post("/espace/{declaration_id}/contact", response_class=HTMLResponse)
async def contact(
    declaration_id: str,
    p: PagesDep,
    email: Annotated[str, Form(max_length=254)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    mobile: Annotated[str, Form(max_length=20)] = "",
    csrf: Csrf = "",
) -> Response:
    if not p.valide(csrf):
        return p.formulaire_refuse()
    declaration = await p.declaration(session, declaration_id, verrou=True)
    if declaration is None:
        return p.acces_refuse()
    try:
        corps = ContactChange.model_validate({"contact": {"email": email, "mobile": mobile or None}})
        resultat = await service.changer_contact(session, registre, declaration, corps, now=now)
    except ValidationError:
        return await _espace(p, session, registre, declaration, now, erreurs=["Coordonnées invalides."])
    except ServiceError as exc:
        return await _espace(p, session, registre, declaration, now, erreurs=[exc.detail])
    if isinstance(resultat, service.ContactEnAttente):
        message = (
            f"Un code vient d'être envoyé à {resultat.email}. Saisissez-le ci-dessous : vos avis continuent "
            "d'être envoyés à l'adresse actuelle tant que la nouvelle n'est pas confirmée."
        )
        return await _espace(p, session, registre, declaration, now, message=message)
    return await _espace(
        p, session, registre, declaration, now, message="Vos coordonnées ont été mises à jour."
    )


@router.post("/espace/{declaration_id}/contact/confirmation", response_class=HTMLResponse)
async def confirmer_contact(
    declaration_id: str,
    p: PagesDep,
    code: Annotated[str, Form(max_length=12)],
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    csrf: Csrf = "",
) -> Response:
    if not p.valide(csrf):
        return p.formulaire_refuse()
    declaration = await p.declaration(session, declaration_id, verrou=True)
    if declaration is None:
        return p.acces_refuse()
    try:
        await service.confirmer_contact(session, registre, declaration, code.strip(), now=now)
    except ServiceError as exc:
        return await _espace(p, session, registre, declaration, now, erreurs=[exc.detail])
    return await _espace(
        p, session, registre, declaration, now, message="Vos coordonnées ont été mises à jour."
    )


def _confirmer_revocation(p: Pages, declaration: Declaration) -> HTMLResponse:
    return p.page("revocation.html", titre="Révoquer mon consentement", d=declaration)


@router.get("/espace/{declaration_id}/revocation", response_class=HTMLResponse)
async def revocation(declaration_id: str, p: PagesDep, session: SessionDep) -> HTMLResponse:
    """The second page: what revoking does and when it takes effect, then « Je confirme »."""
    declaration = await p.declaration(session, declaration_id)
    return p.acces_refuse() if declaration is None else _confirmer_revocation(p, declaration)


@router.post("/espace/{declaration_id}/revocation", response_class=HTMLResponse)
async def revoquer(
    declaration_id: str,
    p: PagesDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    csrf: Csrf = "",
    confirmation: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    if not p.valide(csrf):
        return p.formulaire_refuse()
    declaration = await p.declaration(session, declaration_id, verrou=True)
    if declaration is None:
        return p.acces_refuse()
    if confirmation != "oui":  # only the confirmation page's button revokes
        return _confirmer_revocation(p, declaration)
    try:
        await service.revoquer(session, registre, declaration, now=now, acteur="declarant")
    except ServiceError as exc:
        return await _espace(p, session, registre, declaration, now, erreurs=[exc.detail])
    # The revocation ended every session on this declaration, this one included: this last page
    # shows its outcome, and the browser goes back to a pre-session.
    p.nav = await nav_.fermer(session, registre, p.nav, now=now)
    message = "Votre consentement est révoqué. Par sécurité, vos sessions sont fermées."
    return await _espace(p, session, registre, declaration, now, message=message, ferme=True)
