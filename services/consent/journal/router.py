"""`/journal/...`: the public, personal-data-free view of the registry log (API.md §Log)."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from services.consent.dependencies import NowDep, SessionDep
from services.consent.journal.service import checkpoint
from services.consent.registre import RegistreDep
from shared.errors import Unprocessable
from shared.outbox import rfc3339
from shared.translog.rfc9162 import ProofError

router = APIRouter(prefix="/consent/v1/journal", tags=["journal"])

_MAX_ENTREES = 1000


class Entree(BaseModel):
    index: int
    donnees: str
    hash: str
    cree_le: str


class Entrees(BaseModel):
    elements: list[Entree]


class Preuve(BaseModel):
    index: int | None = None
    taille: int | None = None
    ancienne: int | None = None
    nouvelle: int | None = None
    hashes: list[str]


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


@router.get("/checkpoint", response_class=PlainTextResponse)
async def lire_checkpoint(session: SessionDep, registre: RegistreDep, now: NowDep) -> PlainTextResponse:
    return PlainTextResponse(await checkpoint(session, registre, now))


@router.get("/cle", response_class=PlainTextResponse)
async def lire_cle(registre: RegistreDep) -> PlainTextResponse:
    return PlainTextResponse(registre.journal_signer.verifier.vkey + "\n")


@router.get("/entrees", response_model=Entrees)
async def lire_entrees(
    session: SessionDep,
    registre: RegistreDep,
    debut: Annotated[int, Query(ge=0)] = 0,
    fin: Annotated[int | None, Query(ge=0)] = None,
) -> Entrees:
    fin = debut + _MAX_ENTREES if fin is None else min(fin, debut + _MAX_ENTREES)
    if fin < debut:
        raise Unprocessable("`fin` doit être supérieur ou égal à `debut`.")
    feuilles = await registre.journal.leaves(session, debut, fin)
    return Entrees(
        elements=[
            Entree(
                index=f.index,
                donnees=f.data.decode("utf-8"),
                hash=_b64(f.leaf_hash),
                cree_le=rfc3339(f.created_at),
            )
            for f in feuilles
        ]
    )


@router.get("/preuves/inclusion", response_model=Preuve)
async def preuve_inclusion(
    session: SessionDep,
    registre: RegistreDep,
    index: Annotated[int, Query(ge=0)],
    taille: Annotated[int, Query(ge=1)],
) -> Preuve:
    if index >= taille:
        raise Unprocessable("`index` doit être inférieur à `taille`.")
    try:
        hashes = await registre.journal.inclusion_proof(session, index, taille)
    except ProofError as exc:
        raise Unprocessable("Taille supérieure à celle du journal.") from exc
    return Preuve(index=index, taille=taille, hashes=[_b64(h) for h in hashes])


@router.get("/preuves/coherence", response_model=Preuve)
async def preuve_coherence(
    session: SessionDep,
    registre: RegistreDep,
    ancienne: Annotated[int, Query(ge=1)],
    nouvelle: Annotated[int, Query(ge=1)],
) -> Preuve:
    if ancienne > nouvelle:
        raise Unprocessable("`ancienne` doit être inférieure ou égale à `nouvelle`.")
    try:
        hashes = await registre.journal.consistency_proof(session, ancienne, nouvelle)
    except ProofError as exc:
        raise Unprocessable("Taille supérieure à celle du journal.") from exc
    return Preuve(ancienne=ancienne, nouvelle=nouvelle, hashes=[_b64(h) for h in hashes])
