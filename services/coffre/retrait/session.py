"""The retrieval session: a random cookie value, a server-side record once something is proven.

Cookie `signif_retrait` (`Path=/coffre/retrait/`, `HttpOnly; SameSite=Strict`, `Secure` as
`shared.pages.cookie_securise` decides) = 256 random bits. Until the password step it is a
pre-session (nothing stored: it binds the forms' CSRF value, `shared.pages.jeton_csrf` under the key
`keys_dir/coffre-retrait-session.key`). The password step and the code step each store a new record
(`SessionRetrait`, id = SHA-256 of a new value given to the browser, the old record ended): bound to
one link (or to the space, `ESPACE`), naming consent's challenge, then the person, her declarations and
consent's session. A signed-in record serves the space and every link (one sign-in for all); a record
still at the code step serves only where it started.

Threat model: the cookie holds no token of consent and no state, only a handle; sign-out ends the
record (the old cookie then opens nothing), and consent ends its session on sign-out, password
reset, revocation or an operator's decision: the coffre asks consent before each page and download
that need a signed-in session (`DestinataireClient.espace`, from the one check the link's page and
the space share: `parcours.etat` for a page, `parcours.connectee` for a POST). Lifetimes
(`SESSION_MINUTES`) are on the service clock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.models import SessionRetrait
from services.coffre.retrait import repository
from shared.crypto.keys import directory_lock, write_atomic
from shared.pages import empreinte, jeton_csrf, nouveau_cookie

COOKIE = "signif_retrait"
COOKIE_PATH = "/coffre/retrait"  # the space itself and every link under it
SESSION_MINUTES = 15
#: The `lien_hash` of a record opened in the space (`/coffre/retrait`, no link): never a SHA-256 hex.
ESPACE = "espace"


def charger_cle(keys_dir: Path) -> bytes:
    path = keys_dir / "coffre-retrait-session.key"
    if not path.is_file():
        with directory_lock(keys_dir, ".retrait.lock"):
            if not path.is_file():
                write_atomic(path, os.urandom(32), mode=0o600)
    cle = path.read_bytes()
    if len(cle) != 32:
        raise ValueError(f"{path} must hold 32 bytes")
    return cle


@dataclass
class Navigateur:
    """This request's browser on one link: its cookie value (kept or fresh) and its live record."""

    cookie: str
    neuf: bool
    ligne: SessionRetrait | None

    def csrf(self, cle: bytes) -> str:
        return jeton_csrf(cle, self.cookie)

    @property
    def connecte(self) -> bool:
        return (
            self.ligne is not None and self.ligne.sub is not None and self.ligne.session_consent is not None
        )


def _active(ligne: SessionRetrait | None, lien_hash: str, now: datetime) -> bool:
    """A live record of this link (or of the space); a signed-in one serves the space and every link
    too (each page still checks that the link's declaration is hers)."""
    if ligne is None or ligne.terminee_le is not None or now >= ligne.expire_le:
        return False
    connecte = ligne.sub is not None and ligne.session_consent is not None
    return ligne.lien_hash == lien_hash or connecte


async def navigateur(session: AsyncSession, valeur: str | None, lien_hash: str, now: datetime) -> Navigateur:
    """The browser's state on this link; a missing or oversized cookie gets a fresh pre-session."""
    if not valeur or len(valeur) > 200:
        return Navigateur(nouveau_cookie(), True, None)
    ligne = await repository.session_navigateur(session, empreinte(valeur))
    return Navigateur(valeur, False, ligne if _active(ligne, lien_hash, now) else None)


async def remplacer(
    session: AsyncSession,
    nav: Navigateur,
    lien_hash: str,
    *,
    now: datetime,
    defi_id: str | None = None,
    sub: str | None = None,
    declarations: list[str] | None = None,
    session_consent: str | None = None,
) -> Navigateur:
    """End the browser's record (if any) and store a new one under a new cookie value."""
    await terminer(session, nav, now=now)
    valeur = nouveau_cookie()
    ligne = SessionRetrait(
        id=empreinte(valeur),
        lien_hash=lien_hash,
        defi_id=defi_id,
        sub=sub,
        declarations=list(declarations or []),
        session_consent=session_consent,
        cree_le=now,
        expire_le=now + timedelta(minutes=SESSION_MINUTES),
    )
    repository.ouvrir_session(session, ligne)
    return Navigateur(valeur, True, ligne)


async def terminer(session: AsyncSession, nav: Navigateur, *, now: datetime) -> None:
    """End the browser's record now (its cookie then opens nothing)."""
    if nav.ligne is not None:
        await repository.terminer_session(session, nav.ligne.id, now=now)
