"""The browser's session on consent's pages (`shared.pages` for the cookie, CSRF and origin rules).

Cookie `signif_session` (`Path=/consent/`): a random value. Before anything is proven it is a
pre-session (nothing stored: it only binds the forms' CSRF values). Proving something — the
management token (`POST /consent/espace`, or creating a declaration) or the password and code —
opens a server-side session of kind `espace` (`comptes.sessions`) and gives the browser a new value
(no session fixation). That session names the declaration opened with its token (`gestion`) and/or
the signed-in person, and nothing else: the long-term management token never goes into a cookie.
The CSRF key is derived from the code pepper under its own label (a distinct HMAC domain).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from services.consent.comptes import sessions
from services.consent.declarations.service import Proprietaire
from services.consent.models import SessionDestinataire
from services.consent.registre import Registre
from shared.pages import csrf_valide, jeton_csrf, nouveau_cookie, origine_refusee, poser_cookie

COOKIE = "signif_session"
COOKIE_PATH = "/consent/"
_LABEL_CLE = b"signif/consent/pages/csrf-key/v1"


def cle_csrf(registre: Registre) -> bytes:
    pepper = registre.settings.effective_code_pepper.get_secret_value().encode("utf-8")
    return hmac.new(pepper, _LABEL_CLE, hashlib.sha256).digest()


@dataclass
class Navigateur:
    """This request's browser: its cookie value (kept or fresh), its live session if any, its CSRF."""

    cookie: str
    neuf: bool
    ligne: SessionDestinataire | None
    csrf: str

    @property
    def personne_id(self) -> str | None:
        return self.ligne.personne_id if self.ligne is not None else None

    @property
    def preuve(self) -> Proprietaire:
        ligne = self.ligne
        if ligne is None:
            return Proprietaire()
        return Proprietaire(personne_id=ligne.personne_id, gestion=ligne.declaration_id)


async def navigateur(
    request: Request, session: AsyncSession, registre: Registre, now: datetime
) -> Navigateur:
    valeur = request.cookies.get(COOKIE)
    ligne = await sessions.par_secret(session, valeur, genre="espace", now=now) if valeur else None
    neuf = not valeur or len(valeur) > 200
    cookie = nouveau_cookie() if neuf or valeur is None else valeur
    return Navigateur(cookie, neuf, ligne, jeton_csrf(cle_csrf(registre), cookie))


def formulaire_valide(request: Request, registre: Registre, nav: Navigateur, csrf: str | None) -> bool:
    """A POST from this site's own page in this browser (origin and CSRF value both right)."""
    if origine_refusee(request) or nav.neuf:
        return False
    return csrf_valide(cle_csrf(registre), nav.cookie, csrf)


async def ouvrir_espace(
    session: AsyncSession,
    registre: Registre,
    nav: Navigateur,
    *,
    now: datetime,
    personne_id: str | None = None,
    declaration_id: str | None = None,
) -> Navigateur:
    """A new `espace` session (the old one ends), keeping what the old one had proven unless replaced."""
    ancienne = nav.ligne
    if ancienne is not None:
        personne_id = personne_id or ancienne.personne_id
        declaration_id = declaration_id or ancienne.declaration_id
        await sessions.terminer(session, ancienne, now=now, motif="remplacee")
    ligne, secret = await sessions.ouvrir(
        session,
        genre="espace",
        now=now,
        duree=timedelta(seconds=registre.settings.session_ttl_seconds),
        personne_id=personne_id,
        declaration_id=declaration_id,
    )
    return Navigateur(secret, True, ligne, jeton_csrf(cle_csrf(registre), secret))


async def fermer(session: AsyncSession, registre: Registre, nav: Navigateur, *, now: datetime) -> Navigateur:
    """Sign-out: the session ends now, the browser gets a fresh pre-session."""
    if nav.ligne is not None:
        await sessions.terminer(session, nav.ligne, now=now, motif="deconnexion")
    cookie = nouveau_cookie()
    return Navigateur(cookie, True, None, jeton_csrf(cle_csrf(registre), cookie))


def avec_cookie(response: Response, request: Request, registre: Registre, nav: Navigateur) -> Response:
    """Set the cookie when it is new (a pre-session, or a session just opened)."""
    if nav.neuf:
        max_age = registre.settings.session_ttl_seconds if nav.ligne is not None else None
        poser_cookie(
            response,
            request,
            COOKIE,
            nav.cookie,
            path=COOKIE_PATH,
            max_age=max_age,
            production=registre.settings.env == "production",
        )
    return response
