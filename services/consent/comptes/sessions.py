"""Destinataire sessions as server-side records (`consent_sessions`), ended at once when they must be.

Three kinds, never interchangeable: `espace` (the personal space's cookie, `shared.pages`), `api`
(`Authorization: Bearer` on the declarant's API, from `POST /consent/v1/comptes/connexion/{defi}/code`)
and `coffre` (a retrieval session of the coffre: its id travels in the destinataire token's `sid`
claim and the coffre asks `GET /consent/v1/interne/destinataires/sessions/{sid}` before each use).
A page cookie presented as a bearer token is refused, and the other way round. A fourth, `passage`,
is no session to use but a one-time ticket (`comptes.passage`): the coffre asks for one for a live
`coffre` session, and the browser hands it to the personal space, which ends it and opens her
`espace` session (one sign-in for both spaces).

The secret (256 random bits) is given once; only its SHA-256 is stored, as the row's id. Lifetimes
are on the service's clock (`session_ttl_seconds`, absolute). Ended by: sign-out (that session),
a password reset (every session of the person), the revocation of a declaration (the sessions
opened with its management token and every session of its declarant), an operator
(`POST /consent/v1/operateur/declarations/{id}/sessions/fin`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.comptes import repository
from services.consent.models import Declaration, SessionDestinataire
from shared.crypto.tokens import hash_token, new_token

Genre = Literal["espace", "api", "coffre", "passage"]


async def ouvrir(
    session: AsyncSession,
    *,
    genre: Genre,
    now: datetime,
    duree: timedelta,
    personne_id: str | None = None,
    declaration_id: str | None = None,
) -> tuple[SessionDestinataire, str]:
    """A new session and its secret (to hand out once)."""
    secret = new_token()
    ligne = SessionDestinataire(
        id=hash_token(secret),
        genre=genre,
        personne_id=personne_id,
        declaration_id=declaration_id,
        cree_le=now,
        expire_le=now + duree,
    )
    session.add(ligne)
    await session.flush()
    return ligne, secret


def active(ligne: SessionDestinataire | None, now: datetime) -> bool:
    return ligne is not None and ligne.terminee_le is None and now < ligne.expire_le


async def par_secret(
    session: AsyncSession, secret: str | None, *, genre: Genre, now: datetime
) -> SessionDestinataire | None:
    """The live session of that kind whose secret this is, else None."""
    if not secret or len(secret) > 200:
        return None
    ligne = await repository.session_destinataire(session, hash_token(secret))
    return ligne if active(ligne, now) and ligne is not None and ligne.genre == genre else None


async def par_id(
    session: AsyncSession, sid: str, *, genre: Genre, now: datetime
) -> SessionDestinataire | None:
    ligne = await repository.session_destinataire(session, sid) if len(sid) <= 64 else None
    return ligne if active(ligne, now) and ligne is not None and ligne.genre == genre else None


async def terminer(session: AsyncSession, ligne: SessionDestinataire, *, now: datetime, motif: str) -> None:
    if ligne.terminee_le is None:
        ligne.terminee_le, ligne.motif_fin = now, motif


async def terminer_sur(session: AsyncSession, declaration: Declaration, *, now: datetime, motif: str) -> int:
    """End every session on the declaration: those opened with its management token and every
    session of its declarant (personal space, API, coffre retrieval pages)."""
    return await terminer_toutes(
        session, now=now, motif=motif, personne_id=declaration.personne_id, declaration_id=declaration.id
    )


async def terminer_toutes(
    session: AsyncSession,
    *,
    now: datetime,
    motif: str,
    personne_id: str | None = None,
    declaration_id: str | None = None,
) -> int:
    """End every live session of the person and/or opened with the declaration's management token."""
    if personne_id is None and declaration_id is None:
        return 0
    return await repository.terminer_sessions(
        session, now=now, motif=motif, personne_id=personne_id, declaration_id=declaration_id
    )
