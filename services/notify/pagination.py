"""Cursor pagination (`?apres=<curseur>&limite=<n>` → `{"elements", "suivant"}`).

A cursor is the opaque string form of the last row's monotonic `numero`; the next page holds the
rows strictly after it, so rows appended meanwhile are never skipped nor repeated.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel

from services.notify.errors import CurseurInvalide

LIMITE_DEFAUT = 50
LIMITE_MAX = 200


class PageParams(BaseModel):
    apres: int
    limite: int


def encoder(numero: int) -> str:
    return f"n{numero}"


def _decoder(curseur: str | None) -> int:
    if curseur is None or curseur == "":
        return 0
    if not curseur.startswith("n") or not curseur[1:].isdigit() or len(curseur) > 20:
        raise CurseurInvalide("Le curseur fourni n'a pas été émis par ce service.")
    return int(curseur[1:])


def page_params(
    apres: Annotated[str | None, Query(max_length=24)] = None,
    limite: Annotated[int, Query(ge=1, le=LIMITE_MAX)] = LIMITE_DEFAUT,
) -> PageParams:
    return PageParams(apres=_decoder(apres), limite=limite)


def suivant(numeros: list[int], limite: int) -> str | None:
    """The next cursor when the page is full (more rows may follow), else None."""
    return encoder(numeros[-1]) if len(numeros) == limite and numeros else None
