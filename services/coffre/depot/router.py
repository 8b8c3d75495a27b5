"""`POST /coffre/v1/actes`: wiring only (the body is streamed by `televersement`, not by FastAPI)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from services.coffre.contexte import coffre_of, runtime_of
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
from shared.auth import CurrentCommissaire
from shared.bornes import ANNEXES_MAX
from shared.errors import IdempotenceConflit, TropVolumineux, TypeNonSupporte, error_responses

router = APIRouter(prefix="/coffre/v1", tags=["actes"])

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["metadonnees", "document"],
                    "properties": {
                        "metadonnees": {
                            "type": "string",
                            "maxLength": METADONNEES_MAX,
                            "description": "JSON (voir API.md)",
                        },
                        "document": {"type": "string", "format": "binary"},
                        "annexes": {
                            "type": "array",
                            "maxItems": ANNEXES_MAX,
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/actes",
    status_code=201,
    response_model=ActeCree,
    summary="Déposer et envoyer (ou programmer) un acte signé",
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
)
async def deposer_acte(
    request: Request,
    commissaire: CurrentCommissaire,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    runtime = runtime_of(request)
    body = await service.deposer(request, runtime, coffre_of(runtime), commissaire, idempotency_key)
    return JSONResponse(body, status_code=201, headers={"Location": f"/coffre/v1/actes/{body['id']}"})
