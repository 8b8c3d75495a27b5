"""The closed catalogue of natures of actes (CPC 748-1 lists what may be sent electronically).

One list for the whole platform: consent declarations cover some or all (`*`) of these natures,
the coffre accepts only these, and the codes are the contract with office software. The labels are
the French wording shown in pages, e-mails, the avis and the lettre simple.
"""

from __future__ import annotations

#: Code → French label, in display order.
NATURES: dict[str, str] = {
    "assignation": "Assignation",
    "signification_decision": "Signification d'une décision de justice",
    "signification_titre_executoire": "Signification d'un titre exécutoire",
    "commandement_payer": "Commandement de payer",
    "commandement_quitter_lieux": "Commandement de quitter les lieux",
    "sommation": "Sommation",
    "injonction_payer": "Signification d'une ordonnance d'injonction de payer",
    "conge_bail": "Congé (bail)",
    "denonciation_saisie": "Dénonciation de saisie",
    "acte_procedure": "Autre acte de procédure",
}

#: In a declaration: every nature, present and future.
TOUTES_NATURES = "*"


def libelle(code: str) -> str:
    return NATURES[code]
