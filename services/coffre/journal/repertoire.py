"""The répertoire: the coffre's chronological, irreversible register as an RFC 9162 log.

Leaf format (version 2, `"v": 2`): canonical JSON (UTF-8, keys sorted, no spaces) of an object with
a `type` and only ids, hashes and RFC 3339 UTC instants, never personal data (names, addresses,
dossier references stay in the service tables); the destinataire's declaration id only as a salted
commitment `declaration_engagement` (`shared.evidence.engagements`), its opening kept in
`repertoire_ouvertures` and carried by the acte's evidence bundle. The writers below pass
`declaration_id` in clear; `ajouter` and `consigner` commit to it. What each type may carry is
`shared.evidence.feuilles`. Types written by the coffre:

    depot                 {acte_id, office_id, sha256, taille, annexes: [sha256...], depose_le, instant}
    envoi                 {acte_id, office_id, declaration_id, sha256, envoye_le, derogation_664: bool,
                          instant}
    annulation            {acte_id, motif, instant}
    avis_mise_a_disposition {acte_id, statut, canal, envoye_le, message_id_sha256|null,
                          message_sha256|null (of the message handed to the mail server), instant}
    prise_connaissance    {acte_id, declaration_id, sha256, pris_connaissance_le, instant}
    mode                  {acte_id, mode, lettre_simple_due_le|null, instant}
    lettre_simple         {acte_id, envoyee_le, instant} ; a correction also {corrige: index of the
                          leaf it corrects, motif_sha256}
    document              {acte_id, document: avis_reception|certificat|lettre_simple, version, sha256
                          (of the sealed PDF), faits_sha256 (of the facts it states), instant}
    acces_preuves_autorite {acte_id, procedure_sha256, juridiction, instant}
    recherche_autorite    {procedure_sha256, juridiction, critere, actes: [ids], instant}
    audit_integrite       {instant, verifies, alteres: [sha256...], manquants: [sha256...]}
    alerte_integrite      {acte_id, sha256, instant}

Checkpoints are C2SP signed notes by the Ed25519 key `coffre-log.ed25519.pem`, key name = origin.

Two ways to write (`shared.translog.store`). `consigner` queues the leaf, integrated right after the
commit, which then sets the `actes_evenements` row's `journal_index`: the end-of-day mode decisions
(a burst of jobs running side by side) and the daily audit. `ajouter` appends in the caller's
transaction and returns the index, holding the log's head until the commit: the leaves whose index
or proof the caller puts in its own rows, seal or response before committing (deposit and sending
with the deposit's proof, prise de connaissance and its sealed avis, lettre simple, avis de mise à
disposition, authority searches and evidence access) and the rare annulation and integrity alarm.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.models import OUVERTURES, ActeEvenement
from shared import ouvertures
from shared.evidence.engagements import engager_champs
from shared.translog.note import Signer
from shared.translog.store import IndexRef, TransparencyLog


def canonical_json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class PreuveJournal:
    index: int
    taille: int
    checkpoint: str
    preuve_inclusion: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "taille": self.taille,
            "checkpoint": self.checkpoint,
            "preuve_inclusion": self.preuve_inclusion,
        }


class Repertoire:
    """Writes leaves and signs checkpoints inside the caller's transaction."""

    def __init__(self, log: TransparencyLog, signer: Signer, origin: str) -> None:
        self.log = log
        self.signer = signer
        self.origin = origin

    async def _ecrire(self, session: AsyncSession, feuille: dict[str, Any]) -> bytes:
        """The v2 leaf's bytes; the openings of its commitments kept in the caller's transaction."""
        engagee, ouverts = engager_champs(feuille)
        await ouvertures.retenir(session, OUVERTURES, ouverts)
        return canonical_json(engagee)

    async def ajouter(self, session: AsyncSession, feuille: dict[str, Any], *, now: datetime) -> int:
        """Append now and return the index (the log's head stays locked until the caller commits)."""
        return await self.log.append(session, await self._ecrire(session, feuille), now=now)

    async def consigner(
        self,
        session: AsyncSession,
        feuille: dict[str, Any],
        *,
        now: datetime,
        evenement: ActeEvenement | None = None,
    ) -> None:
        """Queue the leaf; `evenement` (added to the session, flushed here) gets its index once integrated."""
        refs: list[IndexRef] = []
        if evenement is not None:
            await session.flush()
            refs.append(IndexRef(ActeEvenement.__table__.c.journal_index, evenement.id))
        await self.log.enqueue(session, await self._ecrire(session, feuille), now=now, refs=refs)

    async def signer_checkpoint(self, session: AsyncSession, *, now: datetime) -> str:
        return await self.log.sign_checkpoint(session, self.origin, self.signer, now)

    async def preuve(self, session: AsyncSession, index: int, *, now: datetime) -> PreuveJournal:
        """A fresh signed checkpoint covering `index` and the leaf's inclusion proof against it."""
        note = await self.signer_checkpoint(session, now=now)
        taille = await self.log.size(session)
        proof = await self.log.inclusion_proof(session, index, taille)
        return PreuveJournal(
            index=index,
            taille=taille,
            checkpoint=note,
            preuve_inclusion=[base64.b64encode(h).decode("ascii") for h in proof],
        )
