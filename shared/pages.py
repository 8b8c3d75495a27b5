"""What every service's HTML pages share: the browser session cookie, CSRF, origin checks, rate limits.

Threat model: another site making the destinataire's browser post a form (CSRF), a stranger who holds
a page's URL (a retrieval link) trying to lock its owner out, a network observer on plain HTTP.

- **Cookie.** One opaque random value (256 bits) per browser, `HttpOnly; SameSite=Strict` and
  `Secure` — except on plain HTTP to a loopback host outside production (`make run` on
  http://127.0.0.1:8000), decided from the request's scheme and host (`cookie_securise`). The value is
  never a long-term secret: before sign-in it is a *pre-session* (nothing stored); a sign-in stores its
  SHA-256 as a server-side session record (each service's `sessions` table) and rotates the value, so
  sign-out, a password reset, a revocation or an operator ends it at once.
- **CSRF.** Every form carries `csrf` = HMAC-SHA256(page key, label ‖ cookie value), so it is bound to
  the browser's session and changes when the session does; a POST whose field differs is refused
  (compared in constant time). On top, a POST that says it comes from elsewhere is refused
  (`origine_refusee`: a `Sec-Fetch-Site` other than `same-origin`/`none`, or without it an `Origin`
  other than the page's own).
- **Rate limits.** `Limiteur` counts hits in sliding windows on the service's injectable clock (tests
  travel in time). Keys name a session or a client address, never only something a stranger can
  hold (a link). Per process: a deployment with N replicas allows N times as much, which the
  per-account limits held in the database (consent's) do not.
- **Refusals.** A page dependency that refuses (a form from elsewhere, no session, not hers) raises
  `PageRefusee` with the page that says why, sent as it is by `page_refusee` (every service's handler,
  `shared.app`): the handler never runs, and the request's transaction rolls back, so the refusal
  itself commits nothing (a step that must be kept, such as ending a retrieval session consent has
  closed, commits in its own transaction before refusing).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections import deque
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from shared.crypto.tokens import constant_time_equals


class PageRefusee(Exception):
    """A page refused before its handler's own work: `reponse` is the page (or redirect) that says why."""

    def __init__(self, reponse: Response) -> None:
        super().__init__(reponse.status_code)
        self.reponse = reponse


async def page_refusee(request: Request, exc: Exception) -> Response:
    """The exception handler of `PageRefusee`: its page, as the dependency rendered it."""
    if not isinstance(exc, PageRefusee):  # pragma: no cover - registered for PageRefusee only
        raise exc
    return exc.reponse


_CSRF_LABEL = b"signif/pages/csrf/v1|"
_SITES_ADMIS = ("same-origin", "none")
_MAX_CLES = 100_000


def nouveau_cookie() -> str:
    """A fresh browser session value (256 random bits)."""
    return secrets.token_urlsafe(32)


def empreinte(valeur: str) -> str:
    """What a service stores for a cookie value: its hex SHA-256."""
    return hashlib.sha256(valeur.encode("utf-8")).hexdigest()


def jeton_csrf(cle: bytes, cookie: str) -> str:
    """The CSRF value of the forms shown to the browser holding `cookie`."""
    mac = hmac.new(cle, _CSRF_LABEL + cookie.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def csrf_valide(cle: bytes, cookie: str | None, valeur: str | None) -> bool:
    if not cookie or not valeur:
        return False
    return constant_time_equals(jeton_csrf(cle, cookie), valeur)


def origine_refusee(request: Request) -> bool:
    """True when the browser says this POST comes from another site.

    `Sec-Fetch-Site` decides when present (every current browser sends it): only `same-origin` and
    `none` (typed or bookmarked) pass. Without it, an `Origin` must be the page's own; `Origin: null`
    (what browsers send under `Referrer-Policy: no-referrer`, which every page sets) names no site
    and leaves the decision to the CSRF value.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site not in _SITES_ADMIS
    origine = request.headers.get("origin")
    if origine is None or origine == "null":
        return False
    return origine != f"{request.url.scheme}://{request.url.netloc}"


def _boucle_locale(hote: str) -> bool:
    if hote == "localhost" or hote.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hote.strip("[]")).is_loopback
    except ValueError:
        return False


def cookie_securise(request: Request, *, production: bool) -> bool:
    """`Secure` always, except on plain HTTP to a loopback host outside production."""
    if production or request.url.scheme != "http":
        return True
    return not _boucle_locale(request.url.hostname or "")


def poser_cookie(
    response: Response,
    request: Request,
    nom: str,
    valeur: str,
    *,
    path: str,
    max_age: int | None,
    production: bool,
) -> None:
    response.set_cookie(
        nom,
        valeur,
        max_age=max_age,
        path=path,
        secure=cookie_securise(request, production=production),
        httponly=True,
        samesite="strict",
    )


def adresse_client(request: Request) -> str:
    """The client's address as the server saw it (behind the entry point: from its forwarded headers,
    which uvicorn reads with `proxy_headers`)."""
    return request.client.host if request.client else "?"


class Limiteur:
    """Sliding-window counters, in process, on the caller's clock."""

    def __init__(self, fenetre: timedelta) -> None:
        self.fenetre = fenetre
        self._fenetres: dict[str, deque[datetime]] = {}

    def autoriser(self, cle: str, limite: int, now: datetime) -> bool:
        """Count one hit on `cle`; False (and not counted) when `limite` is reached within the window."""
        if len(self._fenetres) > _MAX_CLES:
            self._fenetres.clear()
        fenetre = self._fenetres.setdefault(cle, deque())
        while fenetre and fenetre[0] <= now - self.fenetre:
            fenetre.popleft()
        if len(fenetre) >= limite:
            return False
        fenetre.append(now)
        return True


def taille_lisible(octets: int) -> str:
    """« 812 octets », « 14,2 Ko », « 3,1 Mo » (1 Ko = 1 024 octets)."""
    if octets < 1024:
        return f"{octets} octets"
    for unite in ("Ko", "Mo", "Go"):
        octets_unite = octets / 1024
        if octets_unite < 1024 or unite == "Go":
            return f"{octets_unite:.1f} {unite}".replace(".", ",")
        octets = int(octets_unite)
    raise AssertionError("unreachable")  # pragma: no cover
