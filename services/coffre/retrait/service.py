"""What the destinataire's space does besides pages: an annexe's download, recorded.

Sequence (no transaction is held while the file is hashed): the acte and its annexe are read in a
snapshot scoped by her declarations (consent's answer); the stored file is hashed whole against the
SHA-256 recorded at deposit; only then is the download recorded, in a short transaction of its own,
as a `telechargement_annexe` event of the acte (never the prise de connaissance).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from services.coffre.contexte import Coffre
from services.coffre.errors import ActeIntrouvable
from services.coffre.models import ActeAnnexe
from services.coffre.reception.prise import acte_du_destinataire
from services.coffre.reception.repository import ajouter_evenement
from services.coffre.retrait import repository
from shared.blobs.base import CheckedContent


@dataclass(frozen=True)
class AnnexeServie:
    annexe: ActeAnnexe
    contenu: CheckedContent


async def telecharger_annexe(
    coffre: Coffre, acte_id: str, position: int, *, declarations: Collection[str], personne: str
) -> AnnexeServie:
    """`ActeIntrouvable` for an acte not served on her or an annexe it does not have;
    `shared.blobs.base.IntegrityError` when the stored bytes fail their check (nothing recorded)."""
    async with coffre.db.read() as session:
        acte = await acte_du_destinataire(session, acte_id, declarations)
        annexe = await repository.annexe(session, acte, position)
    if annexe is None:
        raise ActeIntrouvable()
    contenu = await coffre.blobs.open_checked(annexe.sha256, size=annexe.taille)
    donnees: dict[str, object] = {"personne": personne, "position": annexe.position, "sha256": annexe.sha256}
    async with coffre.db.transaction() as session:
        ajouter_evenement(session, acte.id, "telechargement_annexe", now=coffre.clock.now(), donnees=donnees)
    return AnnexeServie(annexe, contenu)
