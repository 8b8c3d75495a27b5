"""The closed list of natures of actes the coffre accepts (legal.md §1, 748-1: a closed list).

Codes are the contract shared with consent's catalogue (`GET /consent/v1/mentions` → `natures`) and
with office software; labels are French, for the avis, the lettre simple and the pages.
"""

from __future__ import annotations

NATURES: dict[str, str] = {
    "assignation": "Assignation",
    "signification-decision": "Signification d'une décision de justice",
    "commandement-de-payer": "Commandement de payer",
    "commandement-de-quitter": "Commandement de quitter les lieux",
    "sommation": "Sommation",
    "denonciation": "Dénonciation",
    "signification-titre-executoire": "Signification d'un titre exécutoire",
    "conge": "Congé",
    "acte-divers": "Autre acte de commissaire de justice",
}


def libelle(code: str) -> str:
    return NATURES[code]
