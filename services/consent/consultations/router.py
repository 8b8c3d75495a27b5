"""`POST /consultations` (commissaire): the minimal answer, logged with the office and the file reference.

The consultation is evaluated, logged and committed in a batch with the others of the moment
(`lots.py`: group commit); the answer leaves once its batch has committed.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.consent.consultations.schemas import ConsentementNon, ConsentementOui, ConsultationDemande
from services.consent.consultations.service import Demande, forme
from services.consent.dependencies import StateDep
from shared.auth import CurrentCommissaire
from shared.errors import Authentification, Interdit, ServiceIndisponible, Unprocessable, error_responses

router = APIRouter(prefix="/consent/v1", tags=["commissaire"])


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
    state: StateDep,
) -> ConsentementOui | ConsentementNon:
    # The instant and the batches read from the one state dependency: FastAPI solves each
    # dependency anew per request (~15 µs each on this hot path).
    now = state.clock.now()
    verdict = await state.lots.consulter(
        Demande(
            cle=state.registre.indexeur.identite(forme(demande.destinataire)),
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
