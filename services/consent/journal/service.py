"""Appending to the registry log and signing its checkpoints (inside the caller's transaction)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.registre import Registre
from shared.outbox import rfc3339


def canonique(valeur: Any) -> bytes:
    return json.dumps(valeur, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def engagement(sel: bytes, valeur: Any) -> str:
    """Salted commitment to a record: HMAC-SHA256(salt, canonical JSON), hex."""
    return hmac.new(sel, canonique(valeur), hashlib.sha256).hexdigest()


async def consigner(
    session: AsyncSession, registre: Registre, type_: str, *, now: datetime, **champs: Any
) -> int:
    """Append one leaf `{"type", "le", "instant", **champs}`; return its index.

    "instant" (= "le") is the field the evidence bundle format (`shared.evidence.format`) reads.
    """
    feuille = {"type": type_, "le": rfc3339(now), "instant": rfc3339(now), **champs}
    return await registre.journal.append(session, canonique(feuille), now=now)
