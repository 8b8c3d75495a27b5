"""How `signif serve` runs uvicorn: its options, and an HTTP protocol that bounds what a client sends
before the application sees it.

uvicorn's httptools protocol reads a request's line and headers without limit of size, count or time
(an 8 MB header was accepted, a connection sending one header byte a minute held open forever).
`protocole_borne` subclasses it to:

- answer 414 `uri-trop-longue` once the request line passes `LimitesHttp.ligne_max`;
- answer 431 `entetes-trop-volumineux` once more than `entetes_max` headers, or more than
  `entetes_octets_max` bytes before the end of the headers, have arrived: the excess is never buffered;
- answer a malformed request with a 400 `requete-invalide` problem+json (uvicorn's is text/plain);
- answer 408 `delai-depasse` when the headers are not complete `DELAI_ENTETES` seconds after the
  connection opened or the request began (slow clients, "slowloris").

Each answer is a problem+json, then the connection is closed. What the application sees is checked
again by `shared.http.BodyLimitMiddleware` (the same limits, plus the body's size and rate), so the
limits hold under any other server too. Between two requests on a kept-alive connection, uvicorn's
own `timeout_keep_alive` (`OPTIONS_UVICORN`) closes an idle connection.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from shared.errors import (
    PROBLEM_JSON,
    BadRequest,
    DelaiDepasse,
    EntetesTropVolumineux,
    ServiceError,
    UriTropLongue,
)
from shared.http import SECURITY_HEADERS, LimitesHttp

#: Seconds from connection (or from a request's first byte) to the end of its headers.
DELAI_ENTETES = 10.0
#: Seconds an idle kept-alive connection stays open between two requests.
DELAI_INACTIVITE = 5
#: uvicorn's own settings for `signif serve` (and the tests that serve over loopback).
OPTIONS_UVICORN: dict[str, Any] = {
    "timeout_keep_alive": DELAI_INACTIVITE,
    "server_header": False,
    "ws": "none",
}


class _Coupure(Exception):
    """Stops the parser inside one of its callbacks; the refusal is already chosen."""


def reponse_brute(erreur: ServiceError) -> bytes:
    """The whole HTTP/1.1 answer carrying `erreur` as problem+json, connection closed after it."""
    corps = json.dumps(erreur.to_problem(), ensure_ascii=False).encode()
    entetes = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(corps)).encode()),
        (b"cache-control", b"no-store"),
        (b"connection", b"close"),
        *SECURITY_HEADERS,
    ]
    return (
        STATUS_LINE[erreur.status_code]
        + b"".join(n + b": " + v + b"\r\n" for n, v in entetes)
        + b"\r\n"
        + corps
    )


def protocole_borne(
    limites: LimitesHttp | None = None, delai_entetes: float = DELAI_ENTETES
) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with `limites` enforced while the line and headers arrive."""
    bornes = limites or LimitesHttp()

    class ProtocoleBorne(HttpToolsProtocol):
        _refus: ServiceError | None = None
        _en_entetes = True
        _octets_entetes = 0
        _nb_entetes = 0
        _minuterie: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._armer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._desarmer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refus is not None:
                return
            super().data_received(data)
            if self._refus is None and self._en_entetes:
                self._octets_entetes += len(data)
                if self._octets_entetes > bornes.entetes_octets_max:
                    self._refuser(
                        EntetesTropVolumineux(f"Les en-têtes dépassent {bornes.entetes_octets_max} octets.")
                    )

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._en_entetes, self._octets_entetes, self._nb_entetes = True, 0, 0
            if self._minuterie is None:
                self._armer()

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            if len(self.url) > bornes.ligne_max:
                self._refus = UriTropLongue(f"La ligne de requête dépasse {bornes.ligne_max} octets.")
                raise _Coupure

        def on_header(self, name: bytes, value: bytes) -> None:
            self._nb_entetes += 1
            if self._nb_entetes > bornes.entetes_max:
                self._refus = EntetesTropVolumineux(f"Plus de {bornes.entetes_max} en-têtes.")
                raise _Coupure
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._en_entetes = False
            self._desarmer()
            super().on_headers_complete()

        def send_400_response(self, msg: str) -> None:
            # The parser stopped: by one of our callbacks (our refusal), or on a malformed request (a
            # problem+json too, where uvicorn answers text/plain).
            self._ecrire(self._refus or BadRequest("Requête HTTP mal formée."))

        def _armer(self) -> None:
            self._minuterie = self.loop.call_later(delai_entetes, self._trop_lent)

        def _desarmer(self) -> None:
            if self._minuterie is not None:
                self._minuterie.cancel()
                self._minuterie = None

        def _trop_lent(self) -> None:
            self._minuterie = None
            if self._en_entetes and self._refus is None:
                self._refuser(DelaiDepasse(f"En-têtes non reçus en {delai_entetes:g} s."))

        def _refuser(self, erreur: ServiceError) -> None:
            self._refus = erreur
            self._ecrire(erreur)

        def _ecrire(self, erreur: ServiceError) -> None:
            self._desarmer()
            if not self.transport.is_closing():
                self.transport.write(reponse_brute(erreur))
                self.transport.close()

    return ProtocoleBorne
