"""The integrity alarm: stored bytes of an acte no longer match the SHA-256 recorded at deposit.

Raised wherever stored bytes are about to be served (the office's document, the destinataire's
download, the evidence bundle) and refused: an error log (ids and hash only), an `alerte_integrite`
leaf in the répertoire and the same event on the acte, in one transaction of their own (the request's
work was rolled back or never began). The caller then answers 500 without a byte of the content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.coffre.actes import repository
from services.coffre.contexte import Coffre
from services.coffre.errors import ActeIntrouvable
from services.coffre.journal.repertoire import instant
from services.coffre.reception.repository import ajouter_evenement
from shared.blobs.base import CheckedContent, IntegrityError
from shared.errors import ErreurIntegrite

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
        ajouter_evenement(session, acte_id, "alerte_integrite", now=now, journal_index=index, donnees=details)


@dataclass(frozen=True)
class DocumentVerifie:
    acte_id: str
    sha256: str
    taille: int
    contenu: CheckedContent


async def document_de_l_office(coffre: Coffre, office_id: str, acte_id: str) -> DocumentVerifie:
    """The office's acte, its stored bytes hashed whole before the first is served.

    Sequence: the acte is read in a snapshot that ends at once; the file is hashed with no
    transaction open (a large file takes a while); on a mismatch, the alarm in its own transaction,
    then `ErreurIntegrite`.
    """
    async with coffre.db.read() as session:
        acte = await repository.acte_de_l_office(session, office_id, acte_id)
        if acte is None:
            raise ActeIntrouvable()
        sha256, taille, ident = acte.sha256, acte.taille, acte.id
    try:
        contenu = await coffre.blobs.open_checked(sha256, size=taille)
    except IntegrityError as exc:
        await alarme_integrite(coffre, ident, sha256, lors="document")
        raise ErreurIntegrite(
            "Le document stocké ne correspond plus à son empreinte ; incident journalisé."
        ) from exc
    return DocumentVerifie(ident, sha256, taille, contenu)
