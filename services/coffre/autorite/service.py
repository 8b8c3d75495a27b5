"""The judicial authority's search: the actes found and the leaf that logs the search, in the caller's
transaction (no answer without its log entry)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.actes import repository as actes_repository
from services.coffre.actes import vues
from services.coffre.autorite import repository
from services.coffre.autorite.repository import Critere
from services.coffre.contexte import Coffre
from services.coffre.journal.repertoire import instant

MAX_RESULTATS = 200


async def rechercher(
    session: AsyncSession,
    coffre: Coffre,
    *,
    juridiction: str,
    procedure: str,
    critere: Critere,
    valeur: str,
    now: datetime,
) -> dict[str, Any]:
    """`procedure`: the procedure's juridiction and numéro, logged only as their SHA-256."""
    actes = await repository.actes_du_critere(session, critere, valeur, MAX_RESULTATS)
    ids = [a.id for a in actes]
    evenements = await actes_repository.evenements_des(session, ids)
    annexes = await actes_repository.annexes_des(session, ids)
    resultats = [vues.detail(a, evenements[a.id], annexes[a.id]) for a in actes]
    index = await coffre.repertoire.ajouter(
        session,
        {
            "type": "recherche_autorite",
            "procedure_sha256": hashlib.sha256(procedure.encode("utf-8")).hexdigest(),
            "juridiction": juridiction,
            "critere": critere,
            "actes": ids,
            "instant": instant(now),
        },
        now=now,
    )
    return {"actes": resultats, "journal_index": index}
