"""Destinataire sign-in (internal, for the coffre's pages; public, for the declarant's own session) and
password reset (public)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, EmailStr, Field, SecretStr, model_validator

from services.consent.comptes import connexion, reinitialisation
from services.consent.dependencies import NowDep, SessionDep
from services.consent.errors import AuthentificationDestinataire, CompteVerrouille
from services.consent.identite import siren_valide
from services.consent.registre import RegistreDep
from shared.auth import CurrentService
from shared.errors import Interdit, ServiceError, Unprocessable, error_responses, problem_response

interne = APIRouter(prefix="/consent/v1/interne/destinataires", tags=["interne"])
public = APIRouter(prefix="/consent/v1/comptes", tags=["déclarant"])

Code = Annotated[str, Field(pattern=r"^[0-9]{6,8}$")]
MotDePasse = Annotated[SecretStr, Field(min_length=12, max_length=256)]


class _Requete(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Connexion(_Requete):
    email: EmailStr
    mot_de_passe: Annotated[SecretStr, Field(min_length=1, max_length=256)]


class DefiCree(BaseModel):
    defi_id: str


class CodeSaisi(_Requete):
    code: Code


class JetonDestinataire(BaseModel):
    jeton: str


class Reinitialisation(_Requete):
    email: EmailStr
    date_naissance: date | None = None
    siren: str | None = None

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


def _ou_probleme(resultat: ServiceError | str) -> DefiCree | JSONResponse:
    if isinstance(resultat, ServiceError):
        return problem_response(resultat)
    return DefiCree(defi_id=resultat)


@interne.post(
    "/connexion",
    response_model=DefiCree,
    responses=error_responses(CompteVerrouille, Interdit, Unprocessable),
)
async def connecter(
    corps: Connexion, _service: CurrentService, session: SessionDep, registre: RegistreDep, now: NowDep
) -> DefiCree | JSONResponse:
    resultat = await connexion.commencer(
        session, registre, str(corps.email), corps.mot_de_passe.get_secret_value(), now=now
    )
    return _ou_probleme(resultat)


@interne.post(
    "/connexion/{defi_id}/code",
    response_model=JetonDestinataire,
    responses=error_responses(AuthentificationDestinataire, Interdit),
)
async def saisir_code(
    defi_id: str,
    corps: CodeSaisi,
    _service: CurrentService,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> JetonDestinataire | JSONResponse:
    compte = await connexion.verifier_defi(session, registre, defi_id, corps.code, "connexion", now=now)
    if isinstance(compte, ServiceError):
        return problem_response(compte)
    return JetonDestinataire(jeton=await connexion.jeton_destinataire(session, registre, compte))


@public.post("/reinitialisation", response_model=DefiCree, responses=error_responses(Unprocessable))
async def demander_reinitialisation(
    corps: Reinitialisation, session: SessionDep, registre: RegistreDep, now: NowDep
) -> DefiCree:
    defi_id = await reinitialisation.demander(
        session, registre, str(corps.email), date_naissance=corps.date_naissance, siren=corps.siren, now=now
    )
    return DefiCree(defi_id=defi_id)


@public.post(
    "/reinitialisation/{defi_id}",
    status_code=204,
    response_class=Response,
    responses=error_responses(AuthentificationDestinataire, Unprocessable),
)
async def reinitialiser(
    defi_id: str, corps: NouveauMotDePasse, session: SessionDep, registre: RegistreDep, now: NowDep
) -> Response:
    erreur = await reinitialisation.terminer(
        session, registre, defi_id, corps.code, corps.mot_de_passe.get_secret_value(), now=now
    )
    if erreur is not None:
        return problem_response(erreur)
    return Response(status_code=204)


@public.post(
    "/connexion",
    response_model=DefiCree,
    responses=error_responses(CompteVerrouille, Unprocessable),
)
async def ouvrir_session(
    corps: Connexion, session: SessionDep, registre: RegistreDep, now: NowDep
) -> DefiCree | JSONResponse:
    """The declarant's own sign-in (password, then the code sent to the declared channel): the
    session it opens (`Authorization: Bearer`) replaces `X-Jeton-Gestion` on their declarations."""
    resultat = await connexion.commencer(
        session, registre, str(corps.email), corps.mot_de_passe.get_secret_value(), now=now
    )
    return _ou_probleme(resultat)


@public.post(
    "/connexion/{defi_id}/code",
    response_model=JetonDestinataire,
    responses=error_responses(AuthentificationDestinataire),
)
async def valider_session(
    defi_id: str, corps: CodeSaisi, session: SessionDep, registre: RegistreDep, now: NowDep
) -> JetonDestinataire | JSONResponse:
    compte = await connexion.verifier_defi(session, registre, defi_id, corps.code, "connexion", now=now)
    if isinstance(compte, ServiceError):
        return problem_response(compte)
    return JetonDestinataire(
        jeton=await connexion.jeton_destinataire(session, registre, compte, audience="consent")
    )
