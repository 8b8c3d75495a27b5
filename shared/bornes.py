"""The bounds of every input, in one place, so the OpenAPI documents state them (issue 12).

Every integer, string and list a client sends has a bound in its schema (`ge`/`le`, `max_length`),
checked by pydantic before any handler or database call: out of range is a 422 problem+json naming
the field in `errors`, never a 500. The limits of the HTTP exchange itself (request line, headers,
body, slow clients) are `shared.http.LimitesHttp`.

- integers: at most the 64-bit signed range (`INT64_MAX`), what PostgreSQL's `bigint` and SQLite's
  integers hold, so a value that passes validation can never overflow a query parameter; tighter where
  the value has a meaning (a page size, a journal index);
- identifiers in paths (`IdChemin`): ids the services issue are UUIDs or URL-safe tokens, well under
  64 characters;
- header values the services read themselves (`Authorization`, `X-Jeton-Gestion`): `JETON_MAX`.

Tests: `tests/shared/test_bornes.py` walks the six OpenAPI documents (three public, three internal)
and fails on any request integer, string or list without its bound.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query
from pydantic import EmailStr, Field

#: The largest integer a client may send anywhere (PostgreSQL `bigint`, SQLite INTEGER).
INT64_MAX = 2**63 - 1
#: A transparency log's indexes and sizes (RFC 9162 trees are addressed by 64-bit integers).
INDEX_JOURNAL_MAX = INT64_MAX
#: Ids in paths (UUIDs: 36 characters; challenge and session ids: URL-safe tokens of 43).
ID_MAX = 64
#: Bearer tokens and management tokens in headers (a JWT with an office's claims is ~1 KB).
JETON_MAX = 4096
#: RFC 5321's limit of an address in a path (254 characters).
EMAIL_MAX = 254
#: A SIREN is 9 digits; room for spaces a person types (`123 456 789`).
SIREN_MAX = 16
#: A nature's code (see `GET /consent/v1/mentions`).
NATURE_MAX = 64
#: An opaque pagination cursor.
CURSEUR_MAX = 200
#: A dossier reference as the office writes it.
REFERENCE_MAX = 200
#: A code sent by e-mail or SMS.
CODE_MAX = 12
#: Annexes of one acte deposit (each a blob and a row: 10,000 tiny parts must not become 10,000 rows).
ANNEXES_MAX = 50

#: An index of a transparency log (`/journal/entrees?debut=`, `/preuves/inclusion?index=`).
IndexJournal = Annotated[int, Query(ge=0, le=INDEX_JOURNAL_MAX)]
#: A size of a transparency log (`/preuves/inclusion?taille=`, `/preuves/coherence?ancienne=`).
TailleJournal = Annotated[int, Query(ge=1, le=INDEX_JOURNAL_MAX)]
#: An id in a path (`/actes/{acte_id}`, `/declarations/{declaration_id}`, ...).
IdChemin = Annotated[str, Path(min_length=1, max_length=ID_MAX)]
#: `Authorization` when a route reads it itself (most routes use `shared.auth`'s bearer dependency).
EnteteAutorisation = Annotated[str | None, Header(max_length=JETON_MAX)]
#: An e-mail address in a body.
Email = Annotated[EmailStr, Field(max_length=EMAIL_MAX)]
#: A SIREN in a body (checked by its Luhn key where it is read).
Siren = Annotated[str, Field(max_length=SIREN_MAX)]
#: A nature's code in a body.
Nature = Annotated[str, Field(min_length=1, max_length=NATURE_MAX)]
