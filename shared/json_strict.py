"""Strict reading of JSON (and URL-encoded form) bodies, before FastAPI parses them.

Python's `json` accepts what a contract must not: a duplicated key (the last one silently wins, so two
readers of the same bytes may disagree on what was sent), `NaN` and `Infinity`, a NUL character in a
string (which PostgreSQL refuses in text: a 500 at the database), and nesting deep enough to exhaust
the parser's recursion. `JsonStrictMiddleware` reads the body of every `application/json` (or
`+json`) request — already bounded in size and rate by `shared.http.BodyLimitMiddleware`, which runs
outside it — and refuses, with a 422 `validation` naming `body` in `errors`, a body that is not UTF-8,
not JSON, has a duplicated key, a non-finite number, a NUL character or more than `PROFONDEUR_MAX`
levels. An `application/x-www-form-urlencoded` body with a NUL byte (raw or `%00`) is refused alike.
Then the app reads the very same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import Unprocessable
from shared.http import envoyer_probleme

#: Objects and arrays nested deeper than this are refused (the services' bodies use fewer than 6).
PROFONDEUR_MAX = 32


class JsonInvalide(ValueError):
    pass


def _sans_doublon(paires: list[tuple[str, Any]]) -> dict[str, Any]:
    objet: dict[str, Any] = {}
    for cle, valeur in paires:
        if cle in objet:
            raise JsonInvalide(f"JSON invalide : clé « {cle[:40]} » répétée")
        objet[cle] = valeur
    return objet


def _non_fini(nom: str) -> Any:
    raise JsonInvalide(f"JSON invalide : {nom} n'est pas un nombre JSON")


def _noeuds(valeur: Any) -> Iterator[tuple[Any, int]]:
    """Every value with its depth, without recursion."""
    pile = [(valeur, 1)]
    while pile:
        courant, profondeur = pile.pop()
        yield courant, profondeur
        if isinstance(courant, dict):
            pile.extend((v, profondeur + 1) for v in courant.values())
            pile.extend((k, profondeur + 1) for k in courant)
        elif isinstance(courant, list):
            pile.extend((v, profondeur + 1) for v in courant)


def lire_json_strict(corps: bytes) -> Any:
    """The JSON value of `corps`, or `JsonInvalide` saying why it is refused."""
    try:
        texte = corps.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonInvalide("JSON invalide : le corps n'est pas de l'UTF-8 valide") from exc
    try:
        valeur = json.loads(texte, object_pairs_hook=_sans_doublon, parse_constant=_non_fini)
    except RecursionError as exc:
        raise JsonInvalide(f"JSON invalide : imbrication de plus de {PROFONDEUR_MAX} niveaux") from exc
    except json.JSONDecodeError as exc:
        raise JsonInvalide("JSON invalide") from exc
    for noeud, profondeur in _noeuds(valeur):
        if profondeur > PROFONDEUR_MAX:
            raise JsonInvalide(f"JSON invalide : imbrication de plus de {PROFONDEUR_MAX} niveaux")
        if isinstance(noeud, str) and "\x00" in noeud:
            raise JsonInvalide("JSON invalide : caractère nul dans une chaîne")
    return valeur


def _media(scope: Scope) -> str:
    for nom, valeur in scope.get("headers", []):
        if nom == b"content-type":
            media: bytes = valeur.split(b";", 1)[0].strip().lower()
            return media.decode("latin-1")
    return ""


def _refus(motif: str) -> Unprocessable:
    return Unprocessable(
        "Le corps de la requête est refusé.",
        extra={"errors": [{"champ": "body", "message": motif, "type": "json_invalid"}]},
    )


class JsonStrictMiddleware:
    """Refuses JSON and URL-encoded bodies that `lire_json_strict` (or a NUL byte) rejects."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        media = _media(scope) if scope["type"] == "http" else ""
        est_json = media == "application/json" or (
            media.startswith("application/") and media.endswith("+json")
        )
        formulaire = media == "application/x-www-form-urlencoded"
        if not (est_json or formulaire):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        corps = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if corps:
            if est_json:
                try:
                    lire_json_strict(corps)
                except JsonInvalide as exc:
                    await envoyer_probleme(send, _refus(str(exc)))
                    return
            elif b"\x00" in corps or b"%00" in corps.lower():
                await envoyer_probleme(send, _refus("caractère nul dans le formulaire"))
                return
        rejoues = iter(messages)

        async def rejouer() -> Message:
            return next(rejoues, None) or await receive()

        await self.app(scope, rejouer, send)
