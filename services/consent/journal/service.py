"""Writing to the registry log (inside the caller's transaction) and the commitments its leaves carry.

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

from services.consent.models import Consultation, Evenement, RechercheAutorite
from services.consent.registre import Registre
from shared.outbox import rfc3339
from shared.translog.store import IndexRef

#: Rows that record the index of the leaf logging them (`leaf_index`).
Ligne = Evenement | Consultation | RechercheAutorite


def canonique(valeur: Any) -> bytes:
    return json.dumps(valeur, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def engagement(sel: bytes, valeur: Any) -> str:
    """Salted commitment to a record: HMAC-SHA256(salt, canonical JSON), hex."""
    return hmac.new(sel, canonique(valeur), hashlib.sha256).hexdigest()


def feuille(type_: str, now: datetime, champs: dict[str, Any]) -> bytes:
    """The leaf `{"type", "le", "instant", **champs}`.

    "instant" (= "le") is the field the evidence bundle format (`shared.evidence.format`) reads.
    """
    return canonique({"type": type_, "le": rfc3339(now), "instant": rfc3339(now), **champs})


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
    await registre.journal.enqueue(session, feuille(type_, now, champs), now=now, refs=refs)


async def consigner_maintenant(
    session: AsyncSession, registre: Registre, type_: str, *, now: datetime, **champs: Any
) -> int:
    """Append one leaf in the caller's transaction and return its index (the log's head stays locked
    until the caller commits: only for a caller that needs the index or a proof before committing)."""
    return await registre.journal.append(session, feuille(type_, now, champs), now=now)
