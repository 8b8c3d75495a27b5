"""Identity normalisation, SIREN checks and blind indexes.

Matching a consultation to a declaration must work on the *normalised* identity (docs/fr/contrat.md:
« l'identité est comparée normalisée »): case, accents, hyphens, spaces and apostrophes are folded,
so « Élise-Marie D'Arc » and « elise marie darc » match. Only keyed HMACs of the normalised form
are stored (`blind_index`, domain-separated),
so the database cannot be searched for a name without the key, and a row is never decrypted to match.

Normal form of a natural person: `physique|<nom>|<prenoms>|<YYYY-MM-DD>` where names keep only
ASCII letters and digits after NFKD decomposition (accents dropped, œ → oe, æ → ae, ß → ss).
Legal person: `morale|<9-digit SIREN>`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import SecretStr

from shared.crypto.tokens import blind_index
from shared.territoire import Territoire, territoire_de

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})

DOMAINE_IDENTITE = "consent/identite"
DOMAINE_PERSONNE = "consent/personne"
DOMAINE_EMAIL = "consent/email"


def plier(texte: str) -> str:
    """Fold case, accents, hyphens, spaces, apostrophes and any other punctuation away."""
    decompose = unicodedata.normalize("NFKD", texte.translate(_LIGATURES))
    sans_accents = "".join(c for c in decompose if not unicodedata.combining(c))
    return "".join(c for c in sans_accents.casefold() if c.isascii() and c.isalnum())


def siren_valide(siren: str) -> bool:
    """Nine digits passing the Luhn check (INSEE rule for SIREN)."""
    if len(siren) != 9 or not siren.isdigit():
        return False
    total = 0
    for position, chiffre in enumerate(reversed(siren)):
        n = int(chiffre)
        if position % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def forme_physique(nom: str, prenoms: str, date_naissance: date) -> str:
    return f"physique|{plier(nom)}|{plier(prenoms)}|{date_naissance.isoformat()}"


def forme_morale(siren: str) -> str:
    return f"morale|{siren}"


def forme_email(email: str) -> str:
    return email.strip().casefold()


class Indexeur:
    """Keyed blind indexes of identities and e-mail addresses (the key is a setting, never stored)."""

    def __init__(self, cle: SecretStr) -> None:
        self._cle = cle

    def identite(self, forme: str) -> str:
        return blind_index(self._cle, forme, DOMAINE_IDENTITE)

    def personne(self, forme: str) -> str:
        """The stable pseudonymous person id (`sub` of destinataire tokens), unlinkable to `identite`."""
        return blind_index(self._cle, forme, DOMAINE_PERSONNE)

    def email(self, email: str) -> str:
        return blind_index(self._cle, forme_email(email), DOMAINE_EMAIL)


def territoire_legal(personne: Mapping[str, Any]) -> Territoire:
    """The territory whose courts, legal clock and holidays apply to a declarant: the domicile of a
    natural person, the seat of a legal one (a declaration's `personne`, as stored)."""
    adresse = personne.get("domicile") or personne["siege"]
    return territoire_de(adresse["commune_insee"])
