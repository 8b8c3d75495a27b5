"""Stable error codes of the notify service (part of the API contract)."""

from __future__ import annotations

from shared.errors import Conflit, Unprocessable


class UrlWebhookRefusee(Unprocessable):
    code = "url-webhook-refusee"
    title = "Adresse de webhook refusée"


class EvenementDivergent(Conflit):
    code = "idempotence-conflit"
    title = "Événement déjà reçu avec un autre contenu"


class CurseurInvalide(Unprocessable):
    code = "curseur-invalide"
    title = "Curseur de pagination invalide"
