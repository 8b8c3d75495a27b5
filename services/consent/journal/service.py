"""Writing to the registry log (inside the caller's transaction) and the commitments its leaves carry.

Leaves are format version 2 (`shared.evidence.engagements`): a declaration id, a magistrate's
subject or an account id given to `consigner` in clear is written as a salted commitment, and its
opening is kept in `consent_ouvertures` in the same transaction. What each leaf type may carry is
`shared.evidence.feuilles`.

`consigner` queues the leaf: the caller's transaction takes no lock on the log, and the leaf is
integrated right after the commit, before the response leaves (`shared.translog.store`); the row that
records the leaf's index (`ligne`) receives it then. `consigner_maintenant` appends in the caller's
transaction, for the one caller that proves its own leaf before committing (the evidence export).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.models import OUVERTURES, Consultation, Evenement, RechercheAutorite
from services.consent.registre import Registre
from shared import ouvertures
from shared.evidence.engagements import Ouverture, engager_champs
from shared.outbox import rfc3339
from shared.translog.store import IndexRef

#: Rows that record the index of the leaf logging them (`leaf_index`).
Ligne = Evenement | Consultation | RechercheAutorite


def canonique(valeur: Any) -> bytes:
    return json.dumps(valeur, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def engagement(sel: bytes, valeur: Any) -> str:
    """Salted commitment to a record: HMAC-SHA256(salt, canonical JSON), hex."""
    return hmac.new(sel, canonique(valeur), hashlib.sha256).hexdigest()


def feuille(type_: str, now: datetime, champs: dict[str, Any]) -> tuple[bytes, list[Ouverture]]:
    """The v2 leaf `{"v": 2, "type", "le", "instant", **champs committed}` and its openings.

    "instant" (= "le") is the field the evidence bundle format (`shared.evidence.format`) reads.
    """
    engages, ouverts = engager_champs(champs)
    return canonique({"type": type_, "le": rfc3339(now), "instant": rfc3339(now), **engages}), ouverts


async def consigner(
    session: AsyncSession,
    registre: Registre,
    type_: str,
    *,
    now: datetime,
    ligne: Ligne | None = None,
    **champs: Any,
) -> None:
    """Queue one leaf; `ligne` (added to the session, flushed here) gets its index once integrated."""
    refs: list[IndexRef] = []
    if ligne is not None:
        await session.flush()
        refs.append(IndexRef(type(ligne).__table__.c.leaf_index, ligne.id))
    donnees, ouverts = feuille(type_, now, champs)
    await ouvertures.retenir(session, OUVERTURES, ouverts)
    await registre.journal.enqueue(session, donnees, now=now, refs=refs)


async def consigner_maintenant(
    session: AsyncSession, registre: Registre, type_: str, *, now: datetime, **champs: Any
) -> int:
    """Append one leaf in the caller's transaction and return its index (the log's head stays locked
    until the caller commits: only for a caller that needs the index or a proof before committing)."""
    donnees, ouverts = feuille(type_, now, champs)
    await ouvertures.retenir(session, OUVERTURES, ouverts)
    return await registre.journal.append(session, donnees, now=now)
