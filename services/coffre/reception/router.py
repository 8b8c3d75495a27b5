"""Office endpoints of the reception: avis de réception, lettre simple and its posting, certificat.

Every route is scoped by the caller's office (another office's id → 404 `acte-introuvable`). The
PDFs are issued once per state of their facts (`emission`): sealed, stored, served byte-identical
afterwards; earlier versions stay at `GET /actes/{id}/documents/{type}/{version}`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from services.coffre.actes import repository
from services.coffre.actes.schemas import DocumentsEmis, EnvoiLettreEnregistre
from services.coffre.contexte import Coffre
from services.coffre.dependencies import CoffreDep, TransactionDep
from services.coffre.errors import ActeIntrouvable
from services.coffre.journal.repertoire import instant
from services.coffre.models import Acte, DocumentEmis
from services.coffre.reception import documents, emission
from services.coffre.reception.erreurs import (
    AvisPasEncore,
    CorrectionSansEnvoi,
    DocumentIntrouvable,
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


def _pdf(data: bytes, nom: str, emis: DocumentEmis) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{nom}"',
            "Cache-Control": "no-store",
            "ETag": f'"{emis.sha256}"',
            "X-Document-Version": str(emis.version),
            "X-Repertoire-Index": str(emis.journal_index),
        },
    )


async def _document(coffre: Coffre, acte: Acte, type_: emission.TypeDocument) -> Response:
    """The current version of the document, issued now only if its facts changed, served as stored."""
    emis = await emission.emettre(coffre, acte, type_)
    data = await coffre.blobs.read_bytes(emis.sha256)
    return _pdf(data, f"{emission.NOMS[type_]}-{acte.id}-v{emis.version}.pdf", emis)


async def _acte(coffre: Coffre, office_id: str, acte_id: str) -> Acte:
    """The office's acte, read in a snapshot that ends at once: issuing a document timestamps and seals
    it outside any transaction (`emission.emettre`)."""
    async with coffre.db.read() as session:
        acte = await repository.acte_de_l_office(session, office_id, acte_id)
    if acte is None:
        raise ActeIntrouvable()
    return acte


@router.get(
    "/actes/{acte_id}/avis-de-reception",
    summary=("Avis électronique de réception (JWS ; PDF scellé avec Accept: application/pdf)"),
    responses=error_responses(ActeIntrouvable, AvisPasEncore),
    response_model=None,
    description=(
        "L'avis électronique de réception, émis quand le destinataire a téléchargé l'acte (prise de "
        "connaissance) : JSON `{jws, kid, contenu...}` (JWS EdDSA, clé à `GET /coffre/v1/.well-"
        "known/jwks.json`), ou le PDF scellé avec `Accept: application/pdf`. Il prouve la date et l'heure"
        " de la prise de connaissance (CPC 663). Avant : 404 `pas-encore`."
    ),
)
async def avis_de_reception(
    request: Request, coffre: CoffreDep, acte_id: IdChemin, commissaire: CurrentCommissaire
) -> dict[str, Any] | Response:
    acte = await _acte(coffre, commissaire.office.id, acte_id)
    if acte.avis_reception_jws is None or acte.pris_connaissance_le is None:
        raise AvisPasEncore("Le destinataire n'a pas encore pris connaissance de l'acte.")
    avis = documents.avis_de(acte.avis_reception_jws)
    if "application/pdf" in request.headers.get("accept", ""):
        return await _document(coffre, acte, "avis_reception")
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
    summary=("Certificat de signification (PDF scellé), une fois le mode fixé"),
    responses={
        **fichier("application/pdf", description="Le certificat de signification (PDF scellé)"),
        **error_responses(ActeIntrouvable, ModeNonFixe),
    },
    response_class=Response,
    description=(
        "Le certificat de signification (PDF scellé par la plateforme) : envoi, mode, prise de "
        "connaissance, empreinte de l'acte et feuilles du répertoire. Disponible une fois le mode "
        "fixé (409 `mode-non-fixe` avant)."
    ),
)
async def certificat(coffre: CoffreDep, acte_id: IdChemin, commissaire: CurrentCommissaire) -> Response:
    acte = await _acte(coffre, commissaire.office.id, acte_id)
    if acte.mode is None:
        raise ModeNonFixe("Le mode est fixé à la fin du jour de l'envoi.")
    return await _document(coffre, acte, "certificat")


@router.get(
    "/actes/{acte_id}/lettre-simple",
    summary=("La lettre simple à poster (signification à domicile)"),
    responses={
        **fichier("application/pdf", description="La lettre simple à poster (PDF scellé)"),
        **error_responses(ActeIntrouvable, PasDeLettreSimple),
    },
    response_class=Response,
    description=(
        "Signification à domicile (le destinataire n'a pas pris connaissance de l'acte le jour de "
        "l'envoi) : la lettre simple que l'office doit poster le premier jour ouvrable suivant (CPC "
        "662-1), mentionnant la signification électronique, la nature de l'acte et le requérant. 409 "
        "`pas-de-lettre-simple` pour un autre mode."
    ),
)
async def lettre_simple(coffre: CoffreDep, acte_id: IdChemin, commissaire: CurrentCommissaire) -> Response:
    acte = await _acte(coffre, commissaire.office.id, acte_id)
    if acte.mode != "a_domicile":
        raise PasDeLettreSimple("Pas de lettre simple : le mode n'est pas « à domicile ».")
    return await _document(coffre, acte, "lettre_simple")


@router.post(
    "/actes/{acte_id}/lettre-simple/envoi",
    summary="Enregistre l'envoi postal de la lettre simple, ou le corrige avec un motif",
    response_model=EnvoiLettreEnregistre,
    description=(
        "Enregistre le jour où l'office a posté la lettre simple (CPC 662-1) ; inscrit au répertoire, il "
        "figure au certificat et au lot de preuves. "
        "Le jour du dépôt doit suivre le jour de l'envoi de l'acte (fuseau du destinataire : la lettre "
        "est due le premier jour ouvrable suivant) sans dépasser aujourd'hui (quelques minutes de "
        "décalage d'horloge tolérées) : 422 "
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
    coffre: CoffreDep,
    session: TransactionDep,
    acte_id: IdChemin,
    corps: EnvoiLettre,
    commissaire: CurrentCommissaire,
) -> dict[str, Any]:
    acte = await repository.acte_de_l_office(session, commissaire.office.id, acte_id)
    if acte is None:
        raise ActeIntrouvable()
    envoi = await enregistrer_lettre_simple(
        session,
        coffre,
        acte,
        corps.envoyee_le,
        now=coffre.clock.now(),
        commissaire_sub=commissaire.sub,
        motif=corps.motif,
        office_commune=commissaire.office.commune_insee,
    )
    return {
        "envoyee_le": envoi.envoyee_le.isoformat(),
        "journal_index": envoi.journal_index,
        "corrige": envoi.corrige_index,
    }


@router.get(
    "/actes/{acte_id}/documents",
    summary="Les documents scellés émis pour l'acte, chaque version, la version en vigueur marquée",
    description=(
        "Un document (avis de réception, certificat, lettre simple) est émis une fois quand ses faits "
        "sont fixés, puis servi à l'identique ; un fait nouveau (envoi de la lettre simple, correction) "
        "en émet une nouvelle version, inscrite au répertoire (`journal_index`, SHA-256) ; les versions "
        "antérieures restent téléchargeables."
    ),
    responses=error_responses(ActeIntrouvable),
    response_model=DocumentsEmis,
)
async def documents_emis(
    coffre: CoffreDep, acte_id: IdChemin, commissaire: CurrentCommissaire
) -> dict[str, Any]:
    acte = await _acte(coffre, commissaire.office.id, acte_id)
    for type_ in emission.applicables(acte):
        await emission.emettre(coffre, acte, type_)
    async with coffre.db.read() as session:
        emis = await emission.versions(session, acte.id)
    derniere = {e.type: e.version for e in emis}
    return {
        "acte_id": acte.id,
        "documents": [
            {
                "type": e.type,
                "version": e.version,
                "sha256": e.sha256,
                "taille": e.taille,
                "emis_le": instant(e.emis_le),
                "journal_index": e.journal_index,
                "en_vigueur": derniere[e.type] == e.version,
                "url": f"/coffre/v1/actes/{acte.id}/documents/{e.type}/{e.version}",
            }
            for e in emis
        ],
    }


@router.get(
    "/actes/{acte_id}/documents/{type_document}/{version}",
    summary="Une version d'un document scellé, telle qu'émise",
    description=(
        "Les octets d'une version émise (avis de réception, certificat ou lettre simple), identiques à "
        "ceux inscrits au répertoire (`X-Document-Version`, `ETag`) : une version antérieure reste "
        "la preuve de ce qui a été délivré à son instant."
    ),
    responses={
        **fichier("application/pdf", description="La version demandée, octet pour octet"),
        **error_responses(ActeIntrouvable, DocumentIntrouvable),
    },
    response_class=Response,
)
async def document_version(
    coffre: CoffreDep,
    acte_id: IdChemin,
    type_document: emission.TypeDocument,
    version: Annotated[int, Path(ge=1, le=100_000)],
    commissaire: CurrentCommissaire,
) -> Response:
    acte = await _acte(coffre, commissaire.office.id, acte_id)
    async with coffre.db.read() as session:
        emis = next(
            (e for e in await emission.versions(session, acte.id, type_document) if e.version == version),
            None,
        )
    if emis is None:
        raise DocumentIntrouvable(f"Aucune version {version} de ce document.")
    data = await coffre.blobs.read_bytes(emis.sha256)
    return _pdf(data, f"{emission.NOMS[type_document]}-{acte.id}-v{version}.pdf", emis)
