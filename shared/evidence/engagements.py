"""Salted commitments: how a public log leaf names a person's declaration, an account or a magistrate
without saying who (leaf format version 2, `VERSION`).

Threat model: the logs are public (`/journal/entrees`) and any commissaire learns declaration ids from
consultations; a leaf that carried the id in clear would let anyone list who was served by whom. So a
v2 leaf carries, instead of each such value, the commitment `SHA-256(sel ‖ UTF-8(valeur))` (hex) with
a fresh 256-bit random `sel` per value and per leaf: two leaves about the same declaration carry
unrelated commitments, and a commitment cannot be tested against a guessed id without its salt.

The opening `{"index", "champ", "valeur", "sel"}` (hex salt) is kept by the service beside its own
data (`shared.ouvertures`), never in the leaf; an evidence bundle carries the openings of its own
leaves (`journal/ouvertures.json`) and the verifier recomputes each commitment. Destroying an
opening (the retention purge) leaves the leaf and every proof valid and the link lost for good.

Fields, in clear in v1 leaves (still readable: logs are append-only) → committed in v2:
`declaration_id` → `declaration_engagement`, `declaration_ids` → `declarations_engagements` (list),
`autorite` (the magistrate's token subject) → `autorite_engagement`, `compte_id` →
`compte_engagement`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

VERSION = 2
SEL_OCTETS = 32

#: Field in clear (what services write, what openings restore) → its committed field in a v2 leaf.
ENGAGES: dict[str, str] = {
    "declaration_id": "declaration_engagement",
    "declaration_ids": "declarations_engagements",
    "autorite": "autorite_engagement",
    "compte_id": "compte_engagement",
}
CLAIRS: dict[str, str] = {engage: clair for clair, engage in ENGAGES.items()}


def engagement(sel: bytes, valeur: str) -> str:
    """Hex SHA-256(sel ‖ UTF-8(valeur))."""
    return hashlib.sha256(sel + valeur.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Ouverture:
    """What opens one commitment: the clear field's name, its value and the salt."""

    engagement: str
    champ: str
    valeur: str
    sel: bytes

    def verifie(self) -> bool:
        return hmac.compare_digest(engagement(self.sel, self.valeur), self.engagement)

    def to_json(self, index: int) -> dict[str, Any]:
        return {"index": index, "champ": self.champ, "valeur": self.valeur, "sel": self.sel.hex()}


def engager(champ: str, valeur: str) -> Ouverture:
    sel = os.urandom(SEL_OCTETS)
    return Ouverture(engagement(sel, valeur), champ, valeur, sel)


def engager_champs(champs: Mapping[str, Any]) -> tuple[dict[str, Any], list[Ouverture]]:
    """The v2 fields of a leaf written with clear `champs`, and the openings to keep beside it.

    A null value stays null (nothing to hide); lists are committed value by value, in order.
    """
    sortie: dict[str, Any] = {"v": VERSION}
    ouvertures: list[Ouverture] = []
    for cle, valeur in champs.items():
        cible = ENGAGES.get(cle)
        if cible is None or valeur is None:
            sortie[cible or cle] = valeur
            continue
        if isinstance(valeur, str):
            ouverture = engager(cle, valeur)
            ouvertures.append(ouverture)
            sortie[cible] = ouverture.engagement
            continue
        if not isinstance(valeur, Sequence):
            raise TypeError(f"{cle}: a text or a list of texts is expected")
        liste = [engager(cle, str(v)) for v in valeur]
        ouvertures.extend(liste)
        sortie[cible] = [o.engagement for o in liste]
    return sortie, ouvertures


def engagements_de(contenu: Mapping[str, Any]) -> list[str]:
    """Every commitment a leaf's content carries."""
    found: list[str] = []
    for champ in CLAIRS:
        valeur = contenu.get(champ)
        if isinstance(valeur, str):
            found.append(valeur)
        elif isinstance(valeur, list):
            found.extend(v for v in valeur if isinstance(v, str))
    return found


class OuvertureInvalide(ValueError):
    pass


def ouvrir(contenu: Mapping[str, Any], ouvertures: Sequence[Ouverture]) -> dict[str, Any]:
    """The leaf as its writer saw it: each commitment it carries that `ouvertures` open is replaced by
    the clear field (a list becomes the list of opened values, in order; a null commitment, a null
    field). Commitments left closed stay as they are. `OuvertureInvalide` when an opening does not
    open what the leaf carries."""
    par_engagement = {o.engagement: o for o in ouvertures}
    for o in ouvertures:
        if not o.verifie():
            raise OuvertureInvalide(f"l'ouverture de {o.champ} ne redonne pas l'engagement {o.engagement}")
    vue = dict(contenu)
    for engage, clair in CLAIRS.items():
        valeur = contenu.get(engage)
        if engage in contenu and valeur is None:  # committed to nothing: nothing to hide
            vue[clair] = None
            del vue[engage]
        elif isinstance(valeur, str) and valeur in par_engagement:
            o = par_engagement[valeur]
            if o.champ != clair:
                raise OuvertureInvalide(f"ouverture de {o.champ} pour le champ {engage}")
            vue[clair] = o.valeur
            del vue[engage]
        elif isinstance(valeur, list) and valeur and all(v in par_engagement for v in valeur):
            vue[clair] = [par_engagement[v].valeur for v in valeur]
            del vue[engage]
    return vue
