"""The integrity alarm: stored bytes of an acte no longer match the SHA-256 recorded at deposit.

Raised wherever stored bytes are about to be served (the office's document, the destinataire's
download, the evidence bundle) and refused: an error log (ids and hash only), an `alerte_integrite`
leaf in the répertoire and the same event on the acte, in one transaction of their own (the request's
work was rolled back or never began). The caller then answers 500 without a byte of the content.
"""

from __future__ import annotations

import logging

from services.coffre.contexte import Coffre
from services.coffre.journal.repertoire import instant
from services.coffre.models import ActeEvenement

logger = logging.getLogger(__name__)


async def alarme_integrite(
    coffre: Coffre, acte_id: str, sha256: str, *, lors: str, piece: str | None = None
) -> None:
    """Record the alarm; `lors` says what was being served (`document`, `retrait`, `preuves`), `piece`
    which piece of a bundle (`acte.pdf`, an annexe) when it is not the acte itself."""
    details = {"lors": lors} | ({"piece": piece} if piece else {})
    now = coffre.clock.now()
    logger.error(
        "integrity alarm: stored bytes do not match their hash, nothing served",
        extra={"acte_id": acte_id, "sha256": sha256, **details},
    )
    async with coffre.db.transaction() as session:
        index = await coffre.repertoire.ajouter(
            session,
            {"type": "alerte_integrite", "acte_id": acte_id, "sha256": sha256, "instant": instant(now)},
            now=now,
        )
        session.add(
            ActeEvenement(
                acte_id=acte_id, type="alerte_integrite", instant=now, journal_index=index, donnees=details
            )
        )
