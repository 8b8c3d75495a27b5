"""Timestamped checkpoints: a log's signed head dated by an RFC 3161 TSA, for every log of the platform.

The coffre's répertoire and consent's registry log are anchored the same way: on a schedule (hourly)
and whenever an evidence bundle is made, the signed checkpoint (C2SP note) the proofs lead to gets an
RFC 3161 token over the SHA-256 of the note's exact text, kept in the service's own table (columns
`id`, `taille`, `checkpoint`, `jeton`, `cree_le`). A third party thus dates the log's state: a later
rewrite of history would contradict a timestamped checkpoint, and no event the checkpoint covers can
be later than the token's instant (`signif verify` checks both).

Both services serve them with the same two reads (`horodatages_router`):

- `GET {prefix}/horodatages?depuis=`: the list (tree size, instant, SHA-256 of the note, URL);
- `GET {prefix}/horodatages/couvrant?taille=`: the first one whose tree holds `taille` leaves or more,
  the note and the token (DER, base64), 404 `introuvable` while none does.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bornes import IndexJournal, TailleJournal
from shared.db import SessionDep
from shared.errors import Introuvable, error_responses
from shared.timestamps.client import TimestampClient
from shared.translog.api import JournalPublic
from shared.translog.checkpoint import Checkpoint
from shared.translog.note import parse_note

MAX_HORODATAGES = 1000


class LigneHorodatage(Protocol):
    """A row of a service's timestamped-checkpoints table (an ORM class with these columns)."""

    id: Any
    taille: Any
    checkpoint: Any
    jeton: Any
    cree_le: Any

    def __init__(self, *, taille: int, checkpoint: str, jeton: bytes, cree_le: datetime) -> None: ...


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def taille_de(note: str) -> int:
    """The tree size a signed checkpoint note states (its signature is the verifier's business)."""
    texte, _signatures = parse_note(note)
    return Checkpoint.parse(texte).size


def empreinte(note: str) -> bytes:
    """What the token dates: the SHA-256 of the note's exact text (UTF-8)."""
    return hashlib.sha256(note.encode("utf-8")).digest()


async def horodater(
    session: AsyncSession,
    journal: JournalPublic,
    horodatage: TimestampClient,
    modele: type[LigneHorodatage],
    *,
    now: datetime,
) -> LigneHorodatage:
    """Sign the log's current head and timestamp it (the scheduled job), in the caller's transaction."""
    note = await journal.log.sign_checkpoint(session, journal.origin, journal.signer, now)
    jeton = await horodatage.timestamp(empreinte(note))
    ligne = modele(taille=taille_de(note), checkpoint=note, jeton=jeton.response, cree_le=now)
    session.add(ligne)
    return ligne


async def ancrer(
    session: AsyncSession,
    horodatage: TimestampClient,
    modele: type[LigneHorodatage],
    note: str,
    *,
    now: datetime,
) -> bytes:
    """The token (DER TimeStampResp) over `note`, the checkpoint a bundle's proofs lead to: the one
    already made for that very note, else one obtained now and kept, in the caller's transaction."""
    deja = await session.scalar(select(modele.jeton).where(modele.checkpoint == note).limit(1))
    if deja is not None:
        return bytes(deja)
    jeton = await horodatage.timestamp(empreinte(note))
    session.add(modele(taille=taille_de(note), checkpoint=note, jeton=jeton.response, cree_le=now))
    return jeton.response


class HorodatageResume(BaseModel):
    taille: int = Field(description="Taille de l'arbre que le checkpoint signe.")
    cree_le: str = Field(description="Instant de l'horodatage (RFC 3339, UTC).")
    checkpoint_sha256: str = Field(description="SHA-256 (hex) de la note signée, ce que le jeton horodate.")
    url: str


class Horodatages(BaseModel):
    elements: list[HorodatageResume]


class HorodatageCheckpoint(BaseModel):
    taille: int
    cree_le: str
    checkpoint: str = Field(description="La note signée (C2SP signed note), texte exact.")
    jeton: str = Field(description="TimeStampResp RFC 3161 (DER, base64) sur le SHA-256 de la note.")


def horodatages_router(
    prefix: str, modele: type[LigneHorodatage], *, tag: str, journal: str, monte_sous: str = ""
) -> APIRouter:
    """The two reads under `prefix` (e.g. `/consent/v1/journal`), for a router included at the root or
    into one whose prefix is `monte_sous`; `journal` names the log in the descriptions (« du
    répertoire », « du registre »)."""
    router = APIRouter(prefix=prefix, tags=[tag])
    public = f"{monte_sous}{prefix}"
    ordre = (modele.taille, modele.id)

    @router.get(
        "/horodatages",
        summary=f"Les checkpoints {journal} horodatés (RFC 3161), du plus ancien au plus récent",
        response_model=Horodatages,
        description=(
            f"Chaque heure, et à chaque lot de preuves, le checkpoint signé {journal} est horodaté par "
            "l'autorité d'horodatage (jeton RFC 3161 sur le SHA-256 de la note) : un tiers date ainsi "
            "l'état du journal. `depuis` : la taille d'arbre à partir de laquelle lister (1 000 au plus)."
        ),
    )
    async def horodatages(session: SessionDep, depuis: IndexJournal = 0) -> dict[str, Any]:
        lignes = (
            await session.scalars(
                select(modele).where(modele.taille >= depuis).order_by(*ordre).limit(MAX_HORODATAGES)
            )
        ).all()
        return {
            "elements": [
                {
                    "taille": h.taille,
                    "cree_le": _instant(h.cree_le),
                    "checkpoint_sha256": empreinte(h.checkpoint).hex(),
                    "url": f"{public}/horodatages/couvrant?taille={h.taille}",
                }
                for h in lignes
            ]
        }

    @router.get(
        "/horodatages/couvrant",
        summary="Le premier checkpoint horodaté dont l'arbre contient `taille` feuilles ou plus",
        response_model=HorodatageCheckpoint,
        description=(
            f"La note signée (C2SP) {journal} et le jeton RFC 3161 (DER, base64) sur son SHA-256 : "
            "`openssl ts -verify -digest <sha256 de la note> -in jeton.tsr -CAfile racine.pem`. "
            "404 `introuvable` tant qu'aucun checkpoint horodaté ne couvre cette taille."
        ),
        responses=error_responses(Introuvable),
    )
    async def horodatage_couvrant(session: SessionDep, taille: TailleJournal) -> dict[str, Any]:
        ligne = (
            await session.scalars(select(modele).where(modele.taille >= taille).order_by(*ordre).limit(1))
        ).first()
        if ligne is None:
            raise Introuvable("Aucun checkpoint horodaté ne couvre encore cette taille.")
        return {
            "taille": ligne.taille,
            "cree_le": _instant(ligne.cree_le),
            "checkpoint": ligne.checkpoint,
            "jeton": base64.b64encode(ligne.jeton).decode("ascii"),
        }

    return router
