"""Communes by postal code, from the official list shipped in `shared/data/communes.csv`.

A person knows her postal code and the name of her commune, never its INSEE code: forms ask for
the postal code, offer the communes that have it, and the platform derives the INSEE code (the key
of `shared.territoire`: département, cour d'appel, time zone, holidays). Source, licence and date
of the data: `shared/data/SOURCES.md`; `scripts/regenerer_communes.py` regenerates it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

_CODE_POSTAL = re.compile(r"[0-9]{5}")


@dataclass(frozen=True)
class Commune:
    code_insee: str
    nom: str
    code_postal: str
    departement: str


@cache
def _par_code_postal() -> dict[str, tuple[Commune, ...]]:
    text = files("shared.data").joinpath("communes.csv").read_text(encoding="utf-8")
    index: dict[str, list[Commune]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        commune = Commune(row["code_insee"], row["nom"], row["code_postal"], row["departement"])
        index.setdefault(commune.code_postal, []).append(commune)
    return {code: tuple(communes) for code, communes in index.items()}


def normaliser_code_postal(valeur: str) -> str | None:
    """`valeur` as a five-digit postal code (spaces removed), or None when it is not one."""
    code = re.sub(r"\s", "", valeur)
    return code if _CODE_POSTAL.fullmatch(code) else None


def communes_du_code_postal(code_postal: str) -> tuple[Commune, ...]:
    """The communes served by `code_postal`, by name (empty for an unknown or malformed code)."""
    code = normaliser_code_postal(code_postal)
    return _par_code_postal().get(code, ()) if code else ()


def commune(code_postal: str, code_insee: str) -> Commune | None:
    """The commune `code_insee` if `code_postal` serves it, else None (a mismatched pair)."""
    return next((c for c in communes_du_code_postal(code_postal) if c.code_insee == code_insee), None)
