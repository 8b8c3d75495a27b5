"""The répertoire's public endpoints (same shapes as consent's `/journal/...`) and the seal JWKS.

No personal data is served here: leaves hold ids, hashes and instants only (see `repertoire`).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from services.coffre.contexte import coffre_of, runtime_of
from shared.crypto.jws import jwks
from shared.errors import BadRequest
from shared.translog.rfc9162 import ProofError

router = APIRouter(prefix="/coffre/v1", tags=["répertoire"])
MAX_ENTREES = 1000


def _b64(values: list[bytes]) -> list[str]:
    return [base64.b64encode(v).decode("ascii") for v in values]


@router.get("/journal/checkpoint", response_class=PlainTextResponse, summary="Checkpoint signé (C2SP)")
async def checkpoint(request: Request) -> PlainTextResponse:
    runtime = runtime_of(request)
    coffre = coffre_of(runtime)
    async with runtime.db.transaction() as session:
        stored = await coffre.repertoire.log.latest_checkpoint(session)
        size = await coffre.repertoire.log.size(session)
        if stored is None or stored.size != size:
            note = await coffre.repertoire.signer_checkpoint(session, now=runtime.clock.now())
        else:
            note = stored.note
    return PlainTextResponse(note, headers={"Cache-Control": "no-store"})


@router.get("/journal/cle", response_class=PlainTextResponse, summary="Clé de vérification des checkpoints")
async def cle(request: Request) -> PlainTextResponse:
    return PlainTextResponse(coffre_of(runtime_of(request)).repertoire.signer.verifier.vkey + "\n")


@router.get("/journal/entrees", summary="Feuilles du répertoire [debut, fin)")
async def entrees(
    request: Request, debut: Annotated[int, Query(ge=0)] = 0, fin: Annotated[int | None, Query(ge=0)] = None
) -> dict[str, Any]:
    runtime = runtime_of(request)
    fin = debut + MAX_ENTREES if fin is None else min(fin, debut + MAX_ENTREES)
    if fin < debut:
        raise BadRequest("fin doit être supérieur ou égal à debut.")
    async with runtime.db.transaction() as session:
        leaves = await coffre_of(runtime).repertoire.log.leaves(session, debut, fin)
    return {
        "entrees": [
            {"index": leaf.index, "donnees": leaf.data.decode("utf-8"), "hash": _b64([leaf.leaf_hash])[0]}
            for leaf in leaves
        ]
    }


@router.get("/journal/preuves/inclusion", summary="Preuve d'inclusion (RFC 9162)")
async def inclusion(
    request: Request, index: Annotated[int, Query(ge=0)], taille: Annotated[int, Query(ge=1)]
) -> dict[str, Any]:
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        try:
            proof = await coffre_of(runtime).repertoire.log.inclusion_proof(session, index, taille)
        except ProofError as exc:
            raise BadRequest(str(exc)) from exc
    return {"index": index, "taille": taille, "preuve": _b64(proof)}


@router.get("/journal/preuves/coherence", summary="Preuve de cohérence (RFC 9162)")
async def coherence(
    request: Request, ancienne: Annotated[int, Query(ge=1)], nouvelle: Annotated[int, Query(ge=1)]
) -> dict[str, Any]:
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        try:
            proof = await coffre_of(runtime).repertoire.log.consistency_proof(session, ancienne, nouvelle)
        except ProofError as exc:
            raise BadRequest(str(exc)) from exc
    return {"ancienne": ancienne, "nouvelle": nouvelle, "preuve": _b64(proof)}


@router.get("/.well-known/jwks.json", summary="Clés publiques du sceau de la plateforme")
async def cles_sceau(request: Request) -> dict[str, Any]:
    coffre = coffre_of(runtime_of(request))
    return jwks([coffre.sceau.private_key.public_key(), *coffre.sceaux_retires])
