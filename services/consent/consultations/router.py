"""`POST /consultations` (commissaire): the minimal answer, logged with the office and the file reference.

The consultation is evaluated, logged and committed in a batch with the others of the moment
(`lots.py`: group commit); the answer leaves once its batch has committed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.consent.consultations.lots import Lots
from services.consent.consultations.schemas import ConsentementNon, ConsentementOui, ConsultationDemande
from services.consent.consultations.service import Demande, forme
from services.consent.dependencies import runtime_of
from services.consent.registre import registre_of
from shared.app import ServiceRuntime
from shared.auth import CurrentCommissaire
from shared.errors import Authentification, Interdit, ServiceIndisponible, Unprocessable, error_responses

router = APIRouter(prefix="/consent/v1", tags=["commissaire"])

_LOTS = "consultations.lots"


def lots_of(runtime: ServiceRuntime, request: Request) -> Lots:
    """This process's batches of consultations (made on first use: one per app)."""
    lots: Lots | None = runtime.extras.get(_LOTS)
    if lots is None:
        lots = runtime.extras[_LOTS] = Lots(runtime.db, registre_of(request))
    return lots


@router.post(
    "/consultations",
    summary=("Consulter le registre : un consentement à cet instant ?"),
    response_model=ConsentementOui | ConsentementNon,
    responses=error_responses(Authentification, Interdit, Unprocessable, ServiceIndisponible),
    description=(
        "Dit si la personne (identité comparée normalisée) a consenti à la signification électronique "
        "pour cette nature d'acte, à l'instant `a` (maintenant par défaut) : `consentement: true` avec "
        "`declaration_id`, ou `false` avec le `motif`. Ne renvoie jamais d'adresse, de coordonnées ni de "
        "pièce. Chaque consultation est journalisée avec l'office et la `reference_dossier` (CPC 748-2 : "
        "le consentement préalable et exprès est la condition de la signification électronique)."
    ),
)
async def consulter(
    demande: ConsultationDemande,
    commissaire: CurrentCommissaire,
    request: Request,
) -> ConsentementOui | ConsentementNon:
    # The runtime, the instant and the batches read here rather than as dependencies: FastAPI
    # solves each dependency anew per request (~15 µs each on this hot path).
    runtime = runtime_of(request)
    now = runtime.clock.now()
    lots = lots_of(runtime, request)
    verdict = await lots.consulter(
        Demande(
            cle=lots.registre.indexeur.identite(forme(demande.destinataire)),
            nature=demande.nature,
            a=demande.a or now,
            now=now,
            origine="commissaire",
            demandeur=commissaire.sub,
            office_id=commissaire.office.id,
            reference_dossier=demande.reference_dossier,
        )
    )
    if verdict.consentement and verdict.declaration is not None and verdict.version is not None:
        return ConsentementOui(
            consentement=True,
            declaration_id=verdict.declaration.id,
            natures=verdict.version.natures,
            valide_jusqu_au=verdict.version.fin,
        )
    return ConsentementNon(consentement=False, motif=verdict.motif or "absent")
