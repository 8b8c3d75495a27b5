"""The platform's refusals as one exception carrying the problem (RFC 9457) and its stable `code`."""

from __future__ import annotations

from typing import Any

import httpx


class ErreurSignif(Exception):
    """A 4xx/5xx answer of the platform: `status`, the stable `code` to match on, the French `detail`.

    `probleme` is the whole `application/problem+json` body (`errors` lists the invalid fields of a
    422, `controle` names the failed check of a `pdf-invalide` or `signature-invalide`).
    """

    def __init__(self, status: int, probleme: dict[str, Any]) -> None:
        self.status = status
        self.probleme = probleme
        self.code: str = str(probleme.get("code", "inconnu"))
        self.detail: str = str(probleme.get("detail", probleme.get("title", "")))
        super().__init__(f"{status} {self.code} : {self.detail}")

    @classmethod
    def de_reponse(cls, reponse: httpx.Response) -> ErreurSignif:
        try:
            corps = reponse.json()
        except ValueError:
            corps = None
        if not isinstance(corps, dict):
            corps = {"code": "reponse-inattendue", "detail": reponse.text[:500]}
        return cls(reponse.status_code, corps)


class SignatureWebhookInvalide(Exception):
    """A webhook whose signature (v1 or v1a) or timestamp does not hold: do not process it."""
