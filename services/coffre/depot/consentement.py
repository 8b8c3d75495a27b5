"""Client of consent's internal verification (contracts: `POST /consent/v1/interne/verifications`).

Called at the instant of sending (CPC 748-2): the answer binds the acte to a declaration id and gives
the destinataire's domicile commune, from which the coffre derives competence and legal hours. An
unreachable or malformed registry is a 503, never a silent "no consent" nor a silent "yes".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from services.coffre.errors import ConsentementIndisponible
from shared.service_tokens import ServiceTokens


@dataclass(frozen=True)
class Verification:
    consentement: bool
    declaration_id: str | None = None
    commune_insee: str | None = None
    motif: str | None = None
    version: int | None = None
    #: The consent's scope as the certificat states it (CPC 662-1 al. 2): registration number
    #: (`RC-…`), version, natures, dates.
    portee: dict[str, Any] | None = None


class ConsentClient:
    def __init__(self, base_url: str, http: httpx.AsyncClient, tokens: ServiceTokens) -> None:
        self.url = f"{base_url}/consent/v1/interne/verifications"
        self._http = http
        self._tokens = tokens

    async def verifier(self, destinataire: dict[str, Any], *, nature: str, a: datetime) -> Verification:
        body = {
            "destinataire": destinataire,
            "nature": nature,
            "a": a.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
        headers = {"Authorization": f"Bearer {self._tokens.token_for('consent')}"}
        try:
            response = await self._http.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ConsentementIndisponible(
                f"Le registre des consentements est injoignable ({type(exc).__name__})."
            ) from exc
        if response.status_code != 200:
            raise ConsentementIndisponible(
                f"Le registre des consentements a répondu HTTP {response.status_code}."
            )
        try:
            data = response.json()
            if data["consentement"] is True:
                return Verification(
                    consentement=True,
                    declaration_id=str(data["declaration_id"]),
                    commune_insee=str(data["commune_insee"]),
                    version=data.get("version"),
                    portee={
                        "declaration_id": str(data["declaration_id"]),
                        "numero": data.get("numero"),
                        "version": data.get("version"),
                        "natures": list(data.get("natures") or []),
                        "declaree_le": data.get("declaree_le"),
                        "debut": data.get("debut"),
                        "fin": data.get("fin"),
                    },
                )
            return Verification(consentement=False, motif=str(data.get("motif", "absent")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConsentementIndisponible("Réponse illisible du registre des consentements.") from exc
