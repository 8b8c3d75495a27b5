"""The public `/journal/...` endpoints, identical for every log of the platform (docs/fr/contrat.md, journal).

Consent's registry log and the coffre's répertoire expose the same four reads, with the same
shapes, so one verifier works against both:

- `GET {prefix}/checkpoint`: the C2SP signed note of the current tree (a new checkpoint is signed
  when the log has grown since the last one or leaves wait in its queue: signing integrates them
  first), `text/plain`;
- `GET {prefix}/cle`: the note verifier key, `<name>+<hex id>+<base64(0x01 ‖ Ed25519 key)>`;
- `GET {prefix}/entrees?debut=&fin=`: leaves `[debut, fin)` (at most 1,000), each with its index, data
  (canonical JSON, no personal data), RFC 9162 leaf hash (base64) and creation instant;
- `GET {prefix}/preuves/inclusion?index=&taille=` and `{prefix}/preuves/coherence?ancienne=&nouvelle=`:
  RFC 9162 proofs, hashes in base64.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bornes import INDEX_JOURNAL_MAX, IndexJournal, TailleJournal
from shared.db import SessionDep
from shared.errors import Unprocessable
from shared.translog.note import Signer
from shared.translog.rfc9162 import ProofError
from shared.translog.store import TransparencyLog

MAX_ENTREES = 1000


@dataclass(frozen=True)
class JournalPublic:
    log: TransparencyLog
    signer: Signer
    origin: str


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


async def _taille_atteinte(log: TransparencyLog, session: AsyncSession, taille: int) -> None:
    """A size beyond the log's is refused before any proof is computed: the ids of the nodes a proof
    for a tree of 2**63 leaves would fetch do not fit the store's 64-bit columns."""
    if taille > await log.size(session):
        raise Unprocessable("Taille supérieure à celle du journal.")


def journal_router(
    prefix: str, resolve: Callable[[Request], JournalPublic], *, tag: str = "journal"
) -> APIRouter:
    """The four read endpoints under `prefix` (e.g. `/consent/v1/journal`) for the log `resolve` returns."""
    router = APIRouter(prefix=prefix, tags=[tag])

    @router.get(
        "/checkpoint",
        response_class=PlainTextResponse,
        summary=("Checkpoint signé (C2SP signed note)"),
        description=(
            "La tête signée du journal (note signée C2SP : origine, taille, racine RFC 9162, signature "
            "Ed25519), en `text/plain`. Un vérificateur garde les checkpoints qu'il a vus : un journal "
            "qui réécrirait son passé ne pourrait pas prouver la cohérence du nouveau avec l'ancien. Sans"
            " donnée personnelle."
        ),
    )
    async def lire_checkpoint(request: Request, session: SessionDep) -> PlainTextResponse:
        journal = resolve(request)
        taille = await journal.log.size(session)
        dernier = await journal.log.latest_checkpoint(session)
        if dernier is not None and dernier.size == taille and not await journal.log.has_pending(session):
            note = dernier.note
        else:
            now = request.app.state.runtime.clock.now()
            note = await journal.log.sign_checkpoint(session, journal.origin, journal.signer, now)
        return PlainTextResponse(note, headers={"Cache-Control": "no-store"})

    @router.get(
        "/cle",
        response_class=PlainTextResponse,
        summary=("Clé de vérification des checkpoints"),
        description=(
            "La clé de vérification des checkpoints au format vkey C2SP (`<nom>+<id hex>+<base64(0x01 ‖ "
            "clé Ed25519)>`), à épingler une fois pour toutes."
        ),
    )
    async def lire_cle(request: Request) -> PlainTextResponse:
        return PlainTextResponse(resolve(request).signer.verifier.vkey + "\n")

    @router.get(
        "/entrees",
        response_model=Entrees,
        summary=("Feuilles [debut, fin) du journal"),
        description=(
            "Les feuilles `[debut, fin)` du journal (1 000 au plus par appel) : index, données canoniques"
            " (identifiants, empreintes, instants, jamais de donnée personnelle), empreinte de feuille "
            "RFC 9162 et instant d'inscription. Permet à un auditeur de rejouer le journal."
        ),
    )
    async def lire_entrees(
        request: Request,
        session: SessionDep,
        debut: IndexJournal = 0,
        fin: Annotated[int | None, Query(ge=0, le=INDEX_JOURNAL_MAX)] = None,
    ) -> Entrees:
        # At most MAX_ENTREES leaves, and never past the largest index a client may name (the sum
        # would overflow a 64-bit query parameter).
        fin = min(debut + MAX_ENTREES if fin is None else fin, debut + MAX_ENTREES, INDEX_JOURNAL_MAX)
        if fin < debut:
            raise Unprocessable("`fin` doit être supérieur ou égal à `debut`.")
        feuilles = await resolve(request).log.leaves(session, debut, fin)
        return Entrees(
            elements=[
                Entree(
                    index=f.index,
                    donnees=f.data.decode("utf-8"),
                    hash=_b64(f.leaf_hash),
                    cree_le=f.created_at.isoformat().replace("+00:00", "Z"),
                )
                for f in feuilles
            ]
        )

    @router.get(
        "/preuves/inclusion",
        response_model=Preuve,
        summary=("Preuve d'inclusion (RFC 9162)"),
        description=(
            "La preuve RFC 9162 que la feuille `index` est dans l'arbre de taille `taille` (empreintes en"
            " base64) : avec un checkpoint signé, elle prouve qu'un événement (dépôt, prise de "
            "connaissance...) a été inscrit, et quand."
        ),
    )
    async def preuve_inclusion(
        request: Request,
        session: SessionDep,
        index: IndexJournal,
        taille: TailleJournal,
    ) -> Preuve:
        if index >= taille:
            raise Unprocessable("`index` doit être inférieur à `taille`.")
        log = resolve(request).log
        await _taille_atteinte(log, session, taille)
        try:
            hashes = await log.inclusion_proof(session, index, taille)
        except ProofError as exc:
            raise Unprocessable("Taille supérieure à celle du journal.") from exc
        return Preuve(index=index, taille=taille, hashes=[_b64(h) for h in hashes])

    @router.get(
        "/preuves/coherence",
        response_model=Preuve,
        summary=("Preuve de cohérence (RFC 9162)"),
        description=(
            "La preuve RFC 9162 que l'arbre de taille `nouvelle` prolonge celui de taille `ancienne` sans"
            " l'avoir modifié : le journal est en ajout seul."
        ),
    )
    async def preuve_coherence(
        request: Request,
        session: SessionDep,
        ancienne: TailleJournal,
        nouvelle: TailleJournal,
    ) -> Preuve:
        if ancienne > nouvelle:
            raise Unprocessable("`ancienne` doit être inférieure ou égale à `nouvelle`.")
        log = resolve(request).log
        await _taille_atteinte(log, session, nouvelle)
        try:
            hashes = await log.consistency_proof(session, ancienne, nouvelle)
        except ProofError as exc:
            raise Unprocessable("Taille supérieure à celle du journal.") from exc
        return Preuve(ancienne=ancienne, nouvelle=nouvelle, hashes=[_b64(h) for h in hashes])

    return router
