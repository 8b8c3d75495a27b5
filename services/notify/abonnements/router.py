"""`/notify/v1/abonnements`: an office's webhook endpoints (role `commissaire`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.notify.abonnements import service
from services.notify.abonnements.schemas import (
    AbonnementAvecSecret,
    AbonnementCree,
    AbonnementLu,
    PageAbonnements,
)
from services.notify.dependencies import NotifyDep
from services.notify.errors import UrlWebhookRefusee
from services.notify.models import Abonnement
from services.notify.pagination import PageParams, page_params
from shared.auth import CurrentCommissaire
from shared.bornes import IdChemin
from shared.db import SessionDep
from shared.errors import Introuvable, error_responses

router = APIRouter(prefix="/notify/v1/abonnements", tags=["webhooks"])


def _lu(abonnement: Abonnement) -> AbonnementLu:
    return AbonnementLu(
        id=abonnement.id,
        url=abonnement.url,
        types=abonnement.types,
        statut=abonnement.statut,
        cree_le=abonnement.cree_le,
        desactive_le=abonnement.desactive_le,
    )


@router.post(
    "",
    summary=("S'abonner aux événements (webhook ou courriel)"),
    status_code=201,
    response_model=AbonnementAvecSecret,
    responses=error_responses(UrlWebhookRefusee),
    description=(
        "Enregistre un point de réception de l'office (`https://...`, une adresse publique ; ou "
        "`mailto:`) pour les `types` donnés. Rend une seule fois le `secret` `whsec_...` qui signe les "
        "webhooks (v1) : conservez-le. Les événements de l'office y seront livrés, au moins une fois, "
        "signés (docs/fr/webhooks.md)."
    ),
)
async def creer_abonnement(
    corps: AbonnementCree, commissaire: CurrentCommissaire, session: SessionDep, notify: NotifyDep
) -> AbonnementAvecSecret:
    abonnement, secret = await service.creer(
        session,
        office_id=commissaire.office.id,
        cree_par=commissaire.sub,
        url=corps.url,
        types=corps.types,
        settings=notify.settings,
        keys=notify.keys,
        now=notify.clock.now(),
    )
    return AbonnementAvecSecret(**_lu(abonnement).model_dump(), secret=secret)


@router.get(
    "",
    summary=("Les abonnements de l'office"),
    response_model=PageAbonnements,
    description=("Les abonnements de l'office (sans leur secret), paginés. Sans effet."),
)
async def lister_abonnements(
    commissaire: CurrentCommissaire, session: SessionDep, page: Annotated[PageParams, Depends(page_params)]
) -> PageAbonnements:
    rows = await service.lister(
        session, office_id=commissaire.office.id, apres=page.apres, limite=page.limite
    )
    suivant = f"n{page.apres + len(rows)}" if len(rows) == page.limite else None
    return PageAbonnements(elements=[_lu(a) for a in rows], suivant=suivant)


@router.delete(
    "/{abonnement_id}",
    summary=("Supprimer un abonnement"),
    status_code=204,
    responses=error_responses(Introuvable),
    description=(
        "Plus aucune livraison vers ce point de réception à partir de maintenant ; les tentatives en "
        "attente sont abandonnées."
    ),
)
async def supprimer_abonnement(
    abonnement_id: IdChemin, commissaire: CurrentCommissaire, session: SessionDep, notify: NotifyDep
) -> Response:
    await service.supprimer(
        session, office_id=commissaire.office.id, abonnement_id=abonnement_id, now=notify.clock.now()
    )
    return Response(status_code=204)
