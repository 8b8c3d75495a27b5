"""`/notify/v1/evenements`: intake from the services (role `service`) and the office's pull feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.notify.dependencies import NotifyDep
from services.notify.errors import EvenementDivergent
from services.notify.evenements import service
from services.notify.evenements.schemas import EvenementAccepte, EvenementLu, EvenementRecu, PageEvenements
from services.notify.pagination import PageParams, encoder, page_params, suivant
from shared.auth import CurrentCommissaire, CurrentService
from shared.db import SessionDep
from shared.errors import error_responses

router = APIRouter(prefix="/notify/v1/evenements", tags=["événements"])


@router.post(
    "",
    summary=("Recevoir un événement d'un service (interne)"),
    status_code=201,
    response_model=EvenementAccepte,
    responses=error_responses(EvenementDivergent),
    description=(
        "Réception des événements que les autres services publient (relais de leur boîte d'envoi) : "
        "enregistré une fois (201 ; 200 `deja_recu` si rejoué à l'identique, 409 `idempotence-conflit` "
        "avec un autre contenu), puis livré aux abonnements de l'office concerné. Réservé aux services de"
        " la plateforme."
    ),
)
async def recevoir_evenement(
    corps: EvenementRecu, _service: CurrentService, session: SessionDep, notify: NotifyDep, response: Response
) -> EvenementAccepte:
    evenement, deja = await service.recevoir(session, corps, now=notify.clock.now())
    if deja:
        response.status_code = 200
    return EvenementAccepte(id=evenement.id, recu_le=evenement.recu_le, deja_recu=deja)


@router.get(
    "",
    summary=("Le flux des événements de l'office"),
    response_model=PageEvenements,
    description=(
        "Les événements de l'office dans l'ordre, depuis le curseur `apres` (repli quand les webhooks "
        "échouent : mêmes événements, même `id`) ; reprenez au `curseur` du dernier traité. Les `donnees`"
        " de chaque type sont décrites dans les `webhooks` de ce document. Sans effet."
    ),
)
async def flux_evenements(
    commissaire: CurrentCommissaire, session: SessionDep, page: Annotated[PageParams, Depends(page_params)]
) -> PageEvenements:
    rows = await service.flux(session, office_id=commissaire.office.id, apres=page.apres, limite=page.limite)
    return PageEvenements(
        elements=[
            EvenementLu(id=e.id, type=e.type, cree_le=e.cree_le, donnees=e.donnees, curseur=encoder(e.numero))
            for e in rows
        ],
        suivant=suivant([e.numero for e in rows], page.limite),
    )
