"""Public keys: destinataire tokens (`/.well-known/jwks.json`) and the récépissé seal (`sceau.jwks.json`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.consent.dependencies import RegistreDep
from shared.schemas import Jwks

router = APIRouter(prefix="/consent/v1/.well-known", tags=["clés"])


@router.get(
    "/jwks.json",
    summary=("Clé des jetons destinataire (vérifiée par le coffre)"),
    response_model=Jwks,
    description=(
        "La clé publique (JWKS) qui signe les jetons de session des destinataires ; le coffre la vérifie "
        "avant de servir un acte. Publique."
    ),
)
async def jwks(registre: RegistreDep) -> dict[str, Any]:
    return {"keys": [{**registre.destinataire.jwk, "alg": "EdDSA", "use": "sig"}]}


@router.get(
    "/sceau.jwks.json",
    summary=("Clé du sceau des récépissés"),
    response_model=Jwks,
    description=(
        "La clé publique (JWKS) du sceau qui signe les récépissés de déclaration (JWS) : un déclarant ou "
        "un juge vérifie un récépissé avec elle. Publique."
    ),
)
async def sceau(registre: RegistreDep) -> dict[str, Any]:
    return {"keys": [{**registre.sceau.jwk, "alg": "EdDSA", "use": "sig"}]}
