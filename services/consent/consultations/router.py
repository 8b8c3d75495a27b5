"""`POST /consultations` (commissaire): the minimal answer, logged with the office and the file reference."""

from __future__ import annotations

from fastapi import APIRouter

from services.consent.consultations import service
from services.consent.consultations.schemas import ConsentementNon, ConsentementOui, ConsultationDemande
from services.consent.dependencies import NowDep, SessionDep
from services.consent.registre import RegistreDep
from shared.auth import CurrentCommissaire
from shared.errors import Authentification, Interdit, Unprocessable, error_responses

router = APIRouter(prefix="/consent/v1", tags=["commissaire"])


@router.post(
    "/consultations",
    response_model=ConsentementOui | ConsentementNon,
    responses=error_responses(Authentification, Interdit, Unprocessable),
)
async def consulter(
    demande: ConsultationDemande,
    commissaire: CurrentCommissaire,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> ConsentementOui | ConsentementNon:
    a = demande.a or now
    verdict = await service.par_identite(session, registre, demande.destinataire, demande.nature, a)
    await service.journaliser(
        session,
        registre,
        verdict,
        now=now,
        a=a,
        origine="commissaire",
        demandeur=commissaire.sub,
        office_id=commissaire.office.id,
        reference_dossier=demande.reference_dossier,
        nature=demande.nature,
    )
    if verdict.consentement and verdict.declaration is not None and verdict.version is not None:
        return ConsentementOui(
            consentement=True,
            declaration_id=verdict.declaration.id,
            natures=verdict.version.natures,
            valide_jusqu_au=verdict.version.fin,
        )
    return ConsentementNon(consentement=False, motif=verdict.motif or "absent")
