"""The répertoire's public endpoints (same shapes as consent's `/journal/...`) and the seal JWKS.

No personal data is served here: leaves hold ids, hashes and instants only (see `repertoire`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.coffre.dependencies import CoffreDep, coffre_de
from services.coffre.models import RepertoireHorodatage
from shared.crypto.jws import jwks
from shared.schemas import Jwks
from shared.translog.api import JournalPublic, journal_router
from shared.translog.horodatages import horodatages_router

router = APIRouter(prefix="/coffre/v1", tags=["répertoire"])


def _repertoire(request: Request) -> JournalPublic:
    repertoire = coffre_de(request).repertoire
    return JournalPublic(repertoire.log, repertoire.signer, repertoire.origin)


#: The four `/journal/...` reads, shared with consent's registry log.
journal = journal_router("/coffre/v1/journal", _repertoire, tag="répertoire")


@router.get(
    "/.well-known/jwks.json",
    summary=("Clés publiques du sceau de la plateforme"),
    response_model=Jwks,
    description=(
        "Les clés publiques du sceau de la plateforme (JWKS), en vigueur et retirées, par `kid` : elles "
        "vérifient les avis de réception (JWS) et les PDF scellés, même anciens. Publique."
    ),
)
async def cles_sceau(coffre: CoffreDep) -> dict[str, Any]:
    return jwks([coffre.sceau.private_key.public_key(), *coffre.sceaux_retires])


#: `GET /coffre/v1/journal/horodatages` and `.../couvrant?taille=` (`shared.translog.horodatages`).
router.include_router(
    horodatages_router(
        "/journal", RepertoireHorodatage, tag="répertoire", journal="du répertoire", monte_sous="/coffre/v1"
    )
)
