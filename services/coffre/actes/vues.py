"""JSON views of an acte for its office and for the judicial authority."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.coffre.actes.natures import NATURES
from services.coffre.journal.repertoire import instant
from services.coffre.models import Acte, ActeAnnexe, ActeEvenement


def resume(acte: Acte) -> dict[str, Any]:
    return {
        "id": acte.id,
        "statut": acte.statut,
        "reference_dossier": acte.reference_dossier,
        "nature": acte.nature,
        "nature_libelle": NATURES.get(acte.nature, acte.nature),
        "sha256": acte.sha256,
        "taille": acte.taille,
        "depose_le": instant(acte.depose_le),
        "envoye_le": instant(acte.envoye_le) if acte.envoye_le else None,
        "envoi_prevu_le": instant(acte.envoi_prevu_le) if acte.envoi_prevu_le else None,
        "fuseau": acte.fuseau,
    }


def detail(acte: Acte, evenements: Sequence[ActeEvenement], annexes: Sequence[ActeAnnexe]) -> dict[str, Any]:
    return {
        **resume(acte),
        "mode": acte.mode,
        "pris_connaissance_le": instant(acte.pris_connaissance_le) if acte.pris_connaissance_le else None,
        "lettre_simple": (
            {
                "due_le": acte.lettre_simple_due_le.isoformat(),
                "envoyee_le": acte.lettre_simple_envoyee_le.isoformat()
                if acte.lettre_simple_envoyee_le
                else None,
            }
            if acte.lettre_simple_due_le
            else None
        ),
        "requerant": acte.requerant,
        "consentement": {"declaration_id": acte.declaration_id},
        "derogation_664": acte.derogation_664,
        "motif_annulation": acte.motif_annulation,
        "horodatage": {
            "date": instant(acte.horodatage_date) if acte.horodatage_date else None,
            "tsa": acte.horodatage_tsa,
        },
        "journal_index": acte.journal_index,
        "annexes": [{"nom": a.nom, "sha256": a.sha256, "taille": a.taille} for a in annexes],
        "evenements": [
            {
                "type": e.type,
                "instant": instant(e.instant),
                "journal_index": e.journal_index,
                **_sans_jeton(e),
            }
            for e in evenements
        ],
        "liens": {
            "document": f"/coffre/v1/actes/{acte.id}/document",
            "preuves": f"/coffre/v1/actes/{acte.id}/preuves",
        },
    }


def _sans_jeton(evenement: ActeEvenement) -> dict[str, Any]:
    donnees = dict(evenement.donnees)
    horodatage = donnees.pop("horodatage", None)
    if isinstance(horodatage, dict):
        donnees["horodatage"] = {k: v for k, v in horodatage.items() if k != "jeton"}
    return {"donnees": donnees} if donnees else {}
