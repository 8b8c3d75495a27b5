"""Office endpoints of the reception: avis de réception, lettre simple and its posting, certificat.

Every route is scoped by the caller's office (another office's id → 404 `acte-introuvable`). The
PDFs are sealed by the platform at the request's instant (`runtime.clock`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from services.coffre.actes import repository
from services.coffre.contexte import coffre_of, runtime_of
from services.coffre.errors import ActeIntrouvable
from services.coffre.journal.repertoire import instant
from services.coffre.models import Acte
from services.coffre.preuves import avis_reception_pdf, certificat_pdf, lettre_simple_pdf
from services.coffre.reception import documents
from services.coffre.reception.erreurs import (
    AvisPasEncore,
    CorrectionSansEnvoi,
    LettreAvantEnvoi,
    LettreDateFuture,
    LettreDejaEnvoyee,
    ModeNonFixe,
    PasDeLettreSimple,
)
from services.coffre.reception.mode import enregistrer_lettre_simple
from shared.auth import CurrentCommissaire
from shared.bornes import IdChemin
from shared.errors import error_responses
from shared.openapi import fichier

router = APIRouter(prefix="/coffre/v1", tags=["réception"])


class EnvoiLettre(BaseModel):
    model_config = ConfigDict(extra="forbid")
    envoyee_le: date = Field(description="Jour du dépôt à la poste (AAAA-MM-JJ), ni avant l'envoi, ni futur.")
    motif: str | None = Field(
        None,
        min_length=3,
        max_length=1000,
        description="Motif d'une correction : l'envoi enregistré est corrigé par un nouvel enregistrement.",
    )


def _pdf(data: bytes, nom: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{nom}"', "Cache-Control": "no-store"},
    )


async def _acte(request: Request, office_id: str, acte_id: str) -> Acte:
    async with runtime_of(request).db.transaction() as session:
        acte = await repository.acte_de_l_office(session, office_id, acte_id)
    if acte is None:
        raise ActeIntrouvable()
    return acte


@router.get(
    "/actes/{acte_id}/avis-de-reception",
    summary="Avis électronique de réception (JWS ; PDF scellé avec Accept: application/pdf)",
    responses=error_responses(ActeIntrouvable, AvisPasEncore),
    response_model=None,
)
async def avis_de_reception(
    request: Request, acte_id: IdChemin, commissaire: CurrentCommissaire
) -> dict[str, Any] | Response:
    acte = await _acte(request, commissaire.office.id, acte_id)
    if acte.avis_reception_jws is None or acte.pris_connaissance_le is None:
        raise AvisPasEncore("Le destinataire n'a pas encore pris connaissance de l'acte.")
    avis = documents.avis_de(acte.avis_reception_jws)
    if "application/pdf" in request.headers.get("accept", ""):
        runtime = runtime_of(request)
        coffre = coffre_of(runtime)
        data = await avis_reception_pdf(
            avis, sceau=documents.sceau_pdf(runtime, coffre), emis_le=runtime.clock.now()
        )
        return _pdf(data, f"avis-de-reception-{acte.id}.pdf")
    return {
        "jws": avis.jws,
        "kid": avis.kid,
        "acte_id": acte.id,
        "pris_connaissance_le": instant(acte.pris_connaissance_le),
        "contenu": avis.contenu,
        "jwks": "/coffre/v1/.well-known/jwks.json",
    }


@router.get(
    "/actes/{acte_id}/certificat",
    summary="Certificat de signification (PDF scellé), une fois le mode fixé",
    responses={
        **fichier("application/pdf", description="Le certificat de signification (PDF scellé)"),
        **error_responses(ActeIntrouvable, ModeNonFixe),
    },
    response_class=Response,
)
async def certificat(request: Request, acte_id: IdChemin, commissaire: CurrentCommissaire) -> Response:
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        acte = await repository.acte_de_l_office(session, commissaire.office.id, acte_id)
        if acte is None:
            raise ActeIntrouvable()
        evenements = await repository.evenements(session, acte.id)
        envois = await repository.envois_lettre_simple(session, acte.id)
    if acte.mode is None:
        raise ModeNonFixe("Le mode est fixé à la fin du jour de l'envoi.")
    data = await certificat_pdf(
        documents.certificat(acte, evenements, envois),
        sceau=documents.sceau_pdf(runtime, coffre_of(runtime)),
        emis_le=runtime.clock.now(),
    )
    return _pdf(data, f"certificat-{acte.id}.pdf")


@router.get(
    "/actes/{acte_id}/lettre-simple",
    summary="La lettre simple à poster (signification à domicile)",
    responses={
        **fichier("application/pdf", description="La lettre simple à poster (PDF scellé)"),
        **error_responses(ActeIntrouvable, PasDeLettreSimple),
    },
    response_class=Response,
)
async def lettre_simple(request: Request, acte_id: IdChemin, commissaire: CurrentCommissaire) -> Response:
    acte = await _acte(request, commissaire.office.id, acte_id)
    if acte.mode != "a_domicile":
        raise PasDeLettreSimple("Pas de lettre simple : le mode n'est pas « à domicile ».")
    runtime = runtime_of(request)
    coffre = coffre_of(runtime)
    data = await lettre_simple_pdf(
        documents.lettre(
            acte,
            acces_url=f"{coffre.settings.public_url.rstrip('/')}/coffre/retrait",
            lieu=commissaire.office.nom,
        ),
        sceau=documents.sceau_pdf(runtime, coffre),
        emis_le=runtime.clock.now(),
    )
    return _pdf(data, f"lettre-simple-{acte.id}.pdf")


@router.post(
    "/actes/{acte_id}/lettre-simple/envoi",
    summary="Enregistre l'envoi postal de la lettre simple, ou le corrige avec un motif",
    description=(
        "Le jour du dépôt ne peut précéder le jour de l'envoi de l'acte (fuseau du destinataire) ni "
        "suivre aujourd'hui (quelques minutes de décalage d'horloge tolérées) : 422 "
        "`lettre-simple-avant-envoi`, `lettre-simple-date-future`. Un envoi déjà enregistré n'est "
        "jamais remplacé : le renvoyer sans `motif` répond 409 `lettre-deja-envoyee` ; avec un `motif`, "
        "c'est une correction, enregistrée à part (nouvelle feuille du répertoire qui nomme celle "
        "qu'elle corrige). Un `motif` sans envoi à corriger : 422 `correction-sans-envoi`."
    ),
    responses=error_responses(
        ActeIntrouvable,
        PasDeLettreSimple,
        LettreDejaEnvoyee,
        LettreAvantEnvoi,
        LettreDateFuture,
        CorrectionSansEnvoi,
    ),
)
async def envoi_lettre_simple(
    request: Request, acte_id: IdChemin, corps: EnvoiLettre, commissaire: CurrentCommissaire
) -> dict[str, Any]:
    runtime = runtime_of(request)
    coffre = coffre_of(runtime)
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        acte = await repository.acte_de_l_office(session, commissaire.office.id, acte_id)
        if acte is None:
            raise ActeIntrouvable()
        envoi = await enregistrer_lettre_simple(
            session,
            coffre,
            acte,
            corps.envoyee_le,
            now=now,
            commissaire_sub=commissaire.sub,
            motif=corps.motif,
            office_commune=commissaire.office.commune_insee,
        )
    return {
        "envoyee_le": envoi.envoyee_le.isoformat(),
        "journal_index": envoi.journal_index,
        "corrige": envoi.corrige_index,
    }
