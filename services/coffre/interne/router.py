"""Internal endpoints for notify (contracts.md; role `service`, audience `coffre`).

- `POST /interne/actes/{id}/lien`: a fresh retrieval link. The token is 256 random bits; only its
  SHA-256 is stored, bound to the acte and its declaration, with an expiry: the plaintext exists only
  in the answer (and then in the e-mail). The answer also gives the acte's legal time zone (the
  destinataire's domicile's), in which the avis states its instants.
- `POST /interne/actes/{id}/avis-mise-a-disposition`: the outcome of the avis e-mail, recorded as
  evidence: a répertoire leaf with the instant the mail server accepted it, the channel, the SHA-256
  of the message handed over and of its Message-ID, and an event that also keeps the masked address
  (for the certificat; the leaf carries no address); on `echec`, a `notification.echec` event for the
  office.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.coffre.dependencies import CoffreDep
from services.coffre.errors import ActeIntrouvable, LienImpossible
from services.coffre.interne import service
from services.coffre.interne.schemas import AvisMiseADisposition
from shared.auth import CurrentService
from shared.bornes import IdChemin
from shared.db import SessionDep
from shared.errors import error_responses

router = APIRouter(prefix="/coffre/v1/interne", tags=["interne"], include_in_schema=True)


@router.post("/actes/{acte_id}/lien", responses=error_responses(ActeIntrouvable, LienImpossible))
async def creer_lien(
    coffre: CoffreDep, session: SessionDep, acte_id: IdChemin, _service: CurrentService
) -> dict[str, Any]:
    return await service.creer_lien(session, coffre, acte_id, now=coffre.clock.now())


@router.post("/actes/{acte_id}/avis-mise-a-disposition", responses=error_responses(ActeIntrouvable))
async def enregistrer_avis(
    coffre: CoffreDep,
    session: SessionDep,
    acte_id: IdChemin,
    avis: AvisMiseADisposition,
    _service: CurrentService,
) -> dict[str, Any]:
    return await service.enregistrer_avis(session, coffre, acte_id, avis, now=coffre.clock.now())
