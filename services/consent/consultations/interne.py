"""Internal endpoints (role `service`): the coffre's verification at sending, notify's channel lookup.

They return what the caller needs and nothing more (contracts: consent internal endpoints).
"""

from __future__ import annotations

from fastapi import APIRouter

from services.consent import chiffrement
from services.consent.consultations import service
from services.consent.consultations.schemas import (
    Canal,
    CanalLu,
    ConsentementNon,
    ParDeclaration,
    VerificationDemande,
    VerificationOui,
)
from services.consent.declarations import repository
from services.consent.declarations.vue import contenu_version
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.identite import territoire_legal
from services.consent.journal.service import consigner
from shared.auth import CurrentService
from shared.bornes import IdChemin
from shared.errors import Authentification, Interdit, Introuvable, Unprocessable, error_responses

router = APIRouter(prefix="/consent/v1/interne", tags=["interne"])


@router.post(
    "/verifications",
    response_model=VerificationOui | ConsentementNon,
    responses=error_responses(Authentification, Interdit, Unprocessable),
)
async def verifier(
    demande: VerificationDemande,
    principal: CurrentService,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> VerificationOui | ConsentementNon:
    cible = demande.destinataire
    if isinstance(cible, ParDeclaration):
        verdict = await service.par_declaration(session, cible.declaration_id, demande.nature, demande.a)
    else:
        verdict = await service.par_identite(session, registre, cible, demande.nature, demande.a)
    await service.journaliser(
        session,
        registre,
        verdict,
        now=now,
        a=demande.a,
        origine="service",
        demandeur=principal.sub,
        office_id=None,
        reference_dossier=None,
        nature=demande.nature,
    )
    declaration, faits = verdict.declaration, verdict.version
    if not verdict.consentement or declaration is None or faits is None:
        return ConsentementNon(consentement=False, motif=verdict.motif or "absent")
    version, numero = await repository.version_et_numero(session, declaration.id, faits.numero)
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    contenu = contenu_version(dek, version)
    territoire = territoire_legal(contenu["personne"])
    return VerificationOui(
        consentement=True,
        declaration_id=declaration.id,
        numero=numero,
        version=version.numero,
        natures=version.natures,
        declaree_le=declaration.declaree_le,
        debut=version.debut,
        fin=version.fin,
        canal=Canal(email=contenu["contact"]["email"], mobile=contenu["contact"].get("mobile")),
        commune_insee=territoire.commune_insee,
        cour_appel=territoire.cour_appel,
        fuseau=territoire.fuseau,
        subdivision_feries=territoire.subdivision_feries,
    )


@router.get(
    "/declarations/{declaration_id}/canal",
    response_model=CanalLu,
    responses=error_responses(Authentification, Interdit, Introuvable),
)
async def canal(
    declaration_id: IdChemin,
    principal: CurrentService,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
) -> CanalLu:
    declaration = await repository.charger(session, declaration_id)
    version = await repository.version_courante(session, declaration)
    contenu = contenu_version(await chiffrement.cle_de(session, registre.keys, declaration.id), version)
    await consigner(
        session,
        registre,
        "canal.lu",
        now=now,
        declaration_id=declaration.id,
        version=version.numero,
        par=principal.sub,
    )
    return CanalLu(
        declaration_id=declaration.id,
        email=contenu["contact"]["email"],
        mobile=contenu["contact"].get("mobile"),
    )
