"""Keyset pagination over (instant, id): `?apres=<curseur>&limite=<n>` → `{"elements", "suivant"}`.

A cursor is the URL-safe base64 of `<instant ISO 8601>|<id>`, the last row of a page; the next page
holds the rows strictly after it in the list's (instant, id) order, so rows added meanwhile are
neither skipped nor repeated. A repository fetches `limite + 1` rows after the position `lire`
decodes; `page` cuts them and gives the next cursor. A cursor this code did not write is refused with
the caller's error (422 `requete-invalide`-like `Unprocessable` by default), never a 500.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Query

from shared.bornes import CURSEUR_MAX
from shared.errors import ServiceError, Unprocessable

T = TypeVar("T")
K = TypeVar("K")

#: The query parameters of a paginated list.
Apres = Annotated[str | None, Query(max_length=CURSEUR_MAX)]
Limite = Annotated[int, Query(ge=1, le=200)]


def curseur(instant: datetime, ident: str | int) -> str:
    """The cursor of the row at (`instant`, `ident`)."""
    return base64.urlsafe_b64encode(f"{instant.isoformat()}|{ident}".encode()).decode()


def lire(
    valeur: str,
    ident: Callable[[str], K],
    *,
    erreur: type[ServiceError] = Unprocessable,
    message: str = "Curseur invalide.",
) -> tuple[datetime, K]:
    """The (instant, id) a cursor names, the id read by `ident` (`str`, `int`); `erreur(message)` when
    it is not one this module wrote."""
    try:
        instant, _, valeur_ident = base64.urlsafe_b64decode(valeur.encode()).decode().partition("|")
        return datetime.fromisoformat(instant), ident(valeur_ident)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise erreur(message) from exc


def page(
    lignes: Sequence[T], limite: int, position: Callable[[T], tuple[datetime, str | int]]
) -> tuple[list[T], str | None]:
    """The page out of `limite + 1` fetched rows, and the next page's cursor (None after the last)."""
    elements = list(lignes[:limite])
    if len(lignes) <= limite or not elements:
        return elements, None
    return elements, curseur(*position(elements[-1]))
