"""`/notify/v1/livraisons`: the office's webhook deliveries and their attempts (role `commissaire`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.notify.dependencies import NotifyDep
from services.notify.livraisons import service
from services.notify.livraisons.signature import public_key_text
from services.notify.pagination import PageParams, encoder, page_params, suivant
from shared.auth import CurrentCommissaire
from shared.bornes import IdChemin
from shared.crypto.jws import jwks
from shared.db import SessionDep
from shared.errors import Conflit, Introuvable, error_responses
from shared.schemas import Jwks

router = APIRouter(prefix="/notify/v1/livraisons", tags=["webhooks"])

Statut = Literal["en_attente", "livree", "echec", "abandonnee"]


class TentativeLue(BaseModel):
    numero: int
    manuelle: bool
    debut_le: datetime
    #: Null for a refused target (`classe_erreur` "adresse_refusee"): nothing was sent.
    duree_ms: int | None
    statut: str
    code_reponse: int | None
    classe_erreur: str | None
    octets_lus: int | None
    reponse_tronquee: bool


class LivraisonLue(BaseModel):
    id: str
    evenement_id: str
    type: str
    abonnement_id: str
    statut: str
    cree_le: datetime
    livree_le: datetime | None
    prochaine_tentative_le: datetime | None
    tentatives: list[TentativeLue]
    curseur: str


class PageLivraisons(BaseModel):
    elements: list[LivraisonLue]
    suivant: str | None


class RelivraisonPlanifiee(BaseModel):
    livraison_id: str
    planifiee_le: datetime


@router.get(
    "",
    summary=("Les livraisons de webhooks et leur issue"),
    response_model=PageLivraisons,
    description=(
        "Les tentatives de livraison aux abonnements de l'office (statut, code HTTP reçu, durée, "
        "prochaine tentative), filtrées par `statut`, paginées. Sans effet."
    ),
)
async def lister_livraisons(
    commissaire: CurrentCommissaire,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    statut: Annotated[Statut | None, Query()] = None,
) -> PageLivraisons:
    rows = await service.lister(
        session, office_id=commissaire.office.id, statut=statut, apres=page.apres, limite=page.limite
    )
    elements = [
        LivraisonLue(
            id=livraison.id,
            evenement_id=livraison.evenement_id,
            type=evenement.type,
            abonnement_id=livraison.abonnement_id,
            statut=livraison.statut,
            cree_le=livraison.cree_le,
            livree_le=livraison.livree_le,
            prochaine_tentative_le=livraison.prochaine_tentative_le,
            tentatives=[TentativeLue.model_validate(t, from_attributes=True) for t in tentatives],
            curseur=encoder(livraison.numero),
        )
        for livraison, evenement, tentatives in rows
    ]
    return PageLivraisons(
        elements=elements, suivant=suivant([livraison.numero for livraison, _, _ in rows], page.limite)
    )


@router.post(
    "/{livraison_id}/relivraison",
    summary=("Relivrer un événement maintenant"),
    status_code=202,
    response_model=RelivraisonPlanifiee,
    responses=error_responses(Introuvable, Conflit),
    description=(
        "Programme une nouvelle livraison immédiate de cet événement à cet abonnement (par exemple après "
        "avoir réparé son récepteur) ; même `webhook-id`, dédoublonnez dessus."
    ),
)
async def relivrer(
    livraison_id: IdChemin, commissaire: CurrentCommissaire, session: SessionDep, notify: NotifyDep
) -> RelivraisonPlanifiee:
    now = notify.clock.now()
    livraison = await service.relivrer(
        session, office_id=commissaire.office.id, livraison_id=livraison_id, now=now
    )
    return RelivraisonPlanifiee(livraison_id=livraison.id, planifiee_le=now)


cle_router = APIRouter(prefix="/notify/v1/.well-known", tags=["webhooks"])


class CleWebhooks(BaseModel):
    algorithme: Literal["ed25519"]
    cle_publique: str = Field(description="`whpk_` suivi de la clé Ed25519 brute en base64.")
    jwks: Jwks


@cle_router.get(
    "/webhooks-key",
    response_model=CleWebhooks,
    summary=("Clé publique des signatures v1a"),
    description=(
        "La clé publique Ed25519 de la plateforme (`whpk_...` et JWKS) qui vérifie la signature `v1a` des"
        " webhooks : elle prouve que l'événement vient de la plateforme, et non de quiconque connaîtrait "
        "le secret de l'abonnement. Publique."
    ),
)
async def cle_webhooks(notify: NotifyDep) -> CleWebhooks:
    public = notify.webhook_key.public_key()
    return CleWebhooks(
        algorithme="ed25519", cle_publique=public_key_text(public), jwks=Jwks.model_validate(jwks([public]))
    )


@cle_router.get(
    "/jwks.json",
    summary=("Clé publique des signatures v1a (JWKS)"),
    response_model=Jwks,
    description=("La même clé publique des signatures `v1a`, en JWKS. Publique."),
)
async def jwks_webhooks(notify: NotifyDep) -> dict[str, list[dict[str, str]]]:
    return jwks([notify.webhook_key.public_key()])
