"""`POST /coffre/v1/actes`: wiring only (the body is streamed by `televersement`, not by FastAPI)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from services.coffre.dependencies import CoffreDep
from services.coffre.depot import service
from services.coffre.depot.schemas import ActeCree
from services.coffre.depot.televersement import METADONNEES_MAX
from services.coffre.documents import PdfInvalide, SignatureInvalide
from services.coffre.errors import (
    ConsentementAbsent,
    HorsHeuresLegales,
    IncompetenceTerritoriale,
    MetadonneesInvalides,
    MultipartInvalide,
    NatureInconnue,
)
from services.coffre.settings import CoffreSettings
from shared.auth import CurrentCommissaire
from shared.bornes import ANNEXES_MAX
from shared.errors import IdempotenceConflit, TropVolumineux, TypeNonSupporte, error_responses

router = APIRouter(prefix="/coffre/v1", tags=["actes"])

_MIO = 1024 * 1024
_TOTAL = f"{CoffreSettings.model_fields['max_acte_bytes'].default // _MIO} Mio"
_PDF = {"type": "string", "format": "binary", "contentMediaType": "application/pdf"}
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            f"Trois sortes de parties. Le document et les annexes ensemble : {_TOTAL} au plus par défaut "
            "(`COFFRE_MAX_ACTE_BYTES`), 413 `trop-volumineux` dès le dépassement ; `metadonnees` : "
            f"{METADONNEES_MAX // 1024} Kio au plus. Voir docs/fr/depot.md."
        ),
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["metadonnees", "document"],
                    "additionalProperties": False,  # another part: 400 `multipart-invalide`
                    "properties": {
                        "metadonnees": {
                            "$ref": "#/components/schemas/Metadonnees",
                            "description": (
                                "L'objet JSON des métadonnées (partie `application/json`, "
                                f"{METADONNEES_MAX // 1024} Kio au plus)."
                            ),
                        },
                        "document": {
                            **_PDF,
                            "description": (
                                "L'acte : PDF/A-2b signé (PAdES), exactement une partie ; avec les annexes, "
                                f"{_TOTAL} au plus."
                            ),
                        },
                        "annexes": {
                            "type": "array",
                            "maxItems": ANNEXES_MAX,
                            "items": _PDF,
                            "description": f"Zéro à {ANNEXES_MAX} pièces jointes (PDF), chacune nommée.",
                        },
                    },
                },
                "encoding": {
                    "metadonnees": {"contentType": "application/json"},
                    "document": {"contentType": "application/pdf"},
                    "annexes": {"contentType": "application/pdf"},
                },
            }
        },
    }
}


@router.post(
    "/actes",
    status_code=201,
    response_model=ActeCree,
    summary=("Déposer et envoyer (ou programmer) un acte signé"),
    openapi_extra=_BODY_DOC,
    responses=error_responses(
        MultipartInvalide,
        IncompetenceTerritoriale,
        IdempotenceConflit,
        TropVolumineux,
        TypeNonSupporte,
        ConsentementAbsent,
        PdfInvalide,
        SignatureInvalide,
        HorsHeuresLegales,
        NatureInconnue,
        MetadonneesInvalides,
    ),
    description=(
        "Dépose l'acte signé (PDF/A-2b, PAdES) et l'envoie, ou programme son envoi au prochain "
        "instant légal. À l'instant de l'envoi tout est vérifié dans l'ordre de la loi : consentement"
        " valable pour cette nature (CPC 748-2, demandé au registre), compétence territoriale de "
        "l'office, heures légales (CPC 664, sauf `derogation_664`), document et signature. L'acte est"
        " alors horodaté (RFC 3161), inscrit au répertoire (RFC 9162) et l'avis de mise à disposition"
        " part au destinataire : **l'instant `envoye_le` est la date et l'heure de la signification "
        "(CPC 664-1)**. Un refus ne laisse rien. `Idempotency-Key` : un renvoi avec la même clé rend "
        "la première réponse sans deuxième signification ; avec un autre contenu, 409 `idempotence-"
        "conflit`. Voir docs/fr/depot.md et docs/fr/controles.md."
    ),
)
async def deposer_acte(
    request: Request,
    coffre: CoffreDep,
    commissaire: CurrentCommissaire,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    body = await service.deposer(
        coffre,
        commissaire,
        idempotency_key,
        corps=request.stream(),
        content_type=request.headers.get("content-type"),
    )
    return JSONResponse(body, status_code=201, headers={"Location": f"/coffre/v1/actes/{body['id']}"})
