"""Destinataire sign-in (internal, for the coffre's pages; public, for the declarant's own session) and
password reset (public)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Request, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from services.consent.comptes import connexion, limites, reinitialisation, sessions
from services.consent.declarations import repository
from services.consent.dependencies import LectureDep, NowDep, RegistreDep, SessionDep
from services.consent.errors import AuthentificationDestinataire, CompteVerrouille
from services.consent.identite import siren_valide
from services.consent.registre import Registre
from shared.auth import CurrentService
from shared.bornes import Email, EnteteAutorisation, IdChemin, Siren
from shared.errors import (
    Authentification,
    Interdit,
    Introuvable,
    TropDeRequetes,
    Unprocessable,
    error_responses,
)
from shared.pages import adresse_client

interne = APIRouter(prefix="/consent/v1/interne/destinataires", tags=["interne"])
public = APIRouter(prefix="/consent/v1/comptes", tags=["déclarant"])

Code = Annotated[str, Field(max_length=8, pattern=r"^[0-9]{6,8}$")]
MotDePasse = Annotated[SecretStr, Field(min_length=12, max_length=256)]


class _Requete(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Connexion(_Requete):
    email: Email
    mot_de_passe: Annotated[SecretStr, Field(min_length=1, max_length=256)]


class DefiCree(BaseModel):
    defi_id: str


class CodeSaisi(_Requete):
    code: Code


class JetonDestinataire(BaseModel):
    jeton: str


class Reinitialisation(_Requete):
    email: Email
    date_naissance: date | None = None
    siren: Siren | None = None

    @model_validator(mode="after")
    def _une_preuve(self) -> Reinitialisation:
        if (self.date_naissance is None) == (self.siren is None):
            raise ValueError("donner la date de naissance ou le SIREN")
        if self.siren is not None and not siren_valide(self.siren):
            raise ValueError("SIREN invalide")
        return self


class NouveauMotDePasse(_Requete):
    code: Code
    mot_de_passe: MotDePasse


class ResumeDeclaration(BaseModel):
    """What the destinataire's space lists of one declaration (no identity, no contact)."""

    id: str
    numero: str
    statut: str
    natures: list[str]
    debut: date
    fin: date | None
    fuseau: str


class SessionLue(BaseModel):
    """A live coffre retrieval session: the person's declarations as they are now."""

    sub: str
    declarations: list[str]
    resumes: list[ResumeDeclaration] = []


def _defi_cree(defi_id: str, envoi: limites.Envoi | None, apres: BackgroundTasks) -> DefiCree:
    if envoi is not None:
        apres.add_task(envoi)
    return DefiCree(defi_id=defi_id)


def limiter_client(request: Request, registre: Registre, now: datetime) -> None:
    """429 `trop-de-requetes` when this client address had its challenges for the hour."""
    cle = f"defis:{adresse_client(request)}"
    if not registre.limiteur.autoriser(cle, registre.settings.defis_par_client, now):
        raise TropDeRequetes("Trop de demandes depuis cette adresse ; réessayez plus tard.")


@interne.post(
    "/connexion",
    response_model=DefiCree,
    responses=error_responses(TropDeRequetes, Interdit, Unprocessable),
)
async def connecter(
    corps: Connexion,
    _service: CurrentService,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    apres: BackgroundTasks,
) -> DefiCree:
    """The coffre's sign-in (it limits per client and per session on its pages)."""
    defi_id, envoi = await connexion.commencer(
        session, registre, str(corps.email), corps.mot_de_passe.get_secret_value(), now=now
    )
    return _defi_cree(defi_id, envoi, apres)


@interne.post(
    "/connexion/{defi_id}/code",
    response_model=JetonDestinataire,
    responses=error_responses(AuthentificationDestinataire, CompteVerrouille, Interdit),
)
async def saisir_code(
    defi_id: IdChemin,
    corps: CodeSaisi,
    _service: CurrentService,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> JetonDestinataire:
    compte = await connexion.verifier_defi(session, registre, defi_id, corps.code, "connexion", now=now)
    return JetonDestinataire(jeton=await connexion.jeton_destinataire(session, registre, compte, now=now))


@interne.get("/sessions/{sid}", response_model=SessionLue, responses=error_responses(Introuvable, Interdit))
async def lire_session(
    sid: IdChemin, _service: CurrentService, session: LectureDep, now: NowDep
) -> SessionLue:
    """A coffre retrieval session still live (not ended, not expired), with the person's declarations
    now; 404 otherwise (the coffre then ends its own)."""
    ligne = await sessions.par_id(session, sid, genre="coffre", now=now)
    if ligne is None or ligne.personne_id is None:
        raise Introuvable("Session terminée ou expirée.")
    resumes = [
        ResumeDeclaration(
            id=declaration.id,
            numero=declaration.numero,
            statut=repository.statut_effectif(declaration, version, now),
            natures=version.natures,
            debut=version.debut,
            fin=version.fin,
            fuseau=version.fuseau,
        )
        for declaration, version in await repository.avec_version_courante(session, ligne.personne_id)
    ]
    return SessionLue(sub=ligne.personne_id, declarations=[r.id for r in resumes], resumes=resumes)


@interne.post(
    "/sessions/{sid}/fin",
    status_code=204,
    response_class=Response,
    responses=error_responses(Interdit),
)
async def terminer_session(
    sid: IdChemin, _service: CurrentService, session: SessionDep, now: NowDep
) -> Response:
    """The coffre's sign-out: the consent session ends too (idempotent)."""
    ligne = await sessions.par_id(session, sid, genre="coffre", now=now)
    if ligne is not None:
        await sessions.terminer(session, ligne, now=now, motif="deconnexion")
    return Response(status_code=204)


@public.post(
    "/reinitialisation",
    summary=("Demander la réinitialisation du mot de passe"),
    response_model=DefiCree,
    responses=error_responses(TropDeRequetes, Unprocessable),
    description=(
        "Envoie un code à l'adresse déclarée si un compte existe ; la réponse est la même qu'il existe ou"
        " non (rien n'apprend si une adresse a un compte). Limité par adresse et par client (429)."
    ),
)
async def demander_reinitialisation(
    request: Request,
    corps: Reinitialisation,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    apres: BackgroundTasks,
) -> DefiCree:
    """The same answer whether or not the address has an account (and the same 429 for any address
    that had its challenges for the hour); the code goes out only when the proof holds."""
    limiter_client(request, registre, now)
    defi_id, envoi = await reinitialisation.demander(
        session, registre, str(corps.email), date_naissance=corps.date_naissance, siren=corps.siren, now=now
    )
    return _defi_cree(defi_id, envoi, apres)


@public.post(
    "/reinitialisation/{defi_id}",
    summary=("Choisir un nouveau mot de passe (code reçu)"),
    status_code=204,
    response_class=Response,
    responses=error_responses(AuthentificationDestinataire, CompteVerrouille, Unprocessable),
    description=(
        "Le code reçu et le nouveau mot de passe : toutes les sessions du compte prennent fin. 5 essais "
        "au plus, puis le compte se verrouille (429 `compte-verrouille`)."
    ),
)
async def reinitialiser(
    defi_id: IdChemin, corps: NouveauMotDePasse, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    await reinitialisation.terminer(
        session, registre, defi_id, corps.code, corps.mot_de_passe.get_secret_value(), now=now
    )
    return Response(status_code=204)


@public.post(
    "/connexion",
    summary=("Se connecter (mot de passe, puis code)"),
    response_model=DefiCree,
    responses=error_responses(TropDeRequetes, Unprocessable),
    description=(
        "Première étape de la connexion du déclarant : le mot de passe ; si juste, un code part vers "
        "l'adresse déclarée et l'identifiant du défi est rendu (même réponse sinon). La session remplace "
        "`X-Jeton-Gestion` sur ses déclarations."
    ),
)
async def ouvrir_session(
    request: Request,
    corps: Connexion,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    apres: BackgroundTasks,
) -> DefiCree:
    """The declarant's own sign-in (password, then the code sent to the declared channel): the
    session it opens (`Authorization: Bearer`) replaces `X-Jeton-Gestion` on their declarations."""
    limiter_client(request, registre, now)
    defi_id, envoi = await connexion.commencer(
        session, registre, str(corps.email), corps.mot_de_passe.get_secret_value(), now=now
    )
    return _defi_cree(defi_id, envoi, apres)


@public.post(
    "/connexion/{defi_id}/code",
    summary=("Valider la connexion (code reçu)"),
    response_model=JetonDestinataire,
    responses=error_responses(AuthentificationDestinataire, CompteVerrouille),
    description=(
        "Le code reçu : rend le secret de session (opaque) à envoyer en `Authorization: Bearer` ; la "
        "session finit à la déconnexion, à la réinitialisation du mot de passe, à la révocation ou par "
        "l'opérateur. Après 5 échecs le compte se verrouille."
    ),
)
async def valider_session(
    defi_id: IdChemin, corps: CodeSaisi, session: SessionDep, registre: RegistreDep, now: NowDep
) -> JetonDestinataire:
    """The session's secret (opaque, 256 bits; a server-side record, `sessions.py`): send it as
    `Authorization: Bearer`; it ends at sign-out, password reset, revocation or by an operator."""
    compte = await connexion.verifier_defi(session, registre, defi_id, corps.code, "connexion", now=now)
    _sid, secret = await connexion.ouvrir_session(session, registre, compte, "api", now=now)
    return JetonDestinataire(jeton=secret)


@public.post(
    "/deconnexion",
    summary=("Se déconnecter"),
    status_code=204,
    response_class=Response,
    responses=error_responses(Authentification),
    openapi_extra={"security": [{"sessionDeclarant": []}]},
    description=("Met fin tout de suite à la session envoyée en `Authorization: Bearer`."),
)
async def fermer_session(
    session: SessionDep, now: NowDep, authorization: EnteteAutorisation = None
) -> Response:
    """End the API session sent as `Authorization: Bearer` (at once, for every later request)."""
    scheme, _, secret = (authorization or "").partition(" ")
    ligne = await sessions.par_secret(session, secret.strip(), genre="api", now=now)
    if scheme.lower() != "bearer" or ligne is None:
        raise Authentification("Session absente, expirée ou invalide.")
    await sessions.terminer(session, ligne, now=now, motif="deconnexion")
    return Response(status_code=204)
