"""One webhook HTTP attempt: signed POST, no redirects, bounded response, overall timeout.

The client's transport is `abonnements.url.TransportVerifie`: a target whose addresses are refused
raises before anything is sent, and is recorded as `adresse_refusee` with no duration and no byte
count (a delivery record must not become a probe of the platform's network).

The response body is read raw (no content decoding, so no decompression bomb) and at most
`max_bytes` of it; the rest is discarded by closing the connection. The whole attempt (connect,
send, headers, bounded read) runs under one deadline. The outcome is returned, never raised: every
attempt, failed or not, is recorded by the caller.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519

from services.notify.errors import UrlWebhookRefusee
from services.notify.livraisons.signature import signature_header

USER_AGENT = "Signif-Webhooks/1.0"


@dataclass(frozen=True)
class Resultat:
    succes: bool
    code_reponse: int | None
    classe_erreur: str | None
    duree_ms: int | None
    octets_lus: int | None
    reponse_tronquee: bool

    @property
    def gone(self) -> bool:
        return self.code_reponse == 410


def rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def corps(*, evenement_id: str, type_: str, cree_le: datetime, donnees: dict[str, Any]) -> bytes:
    document = {"id": evenement_id, "type": type_, "cree_le": rfc3339(cree_le), "donnees": donnees}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


async def envoyer(
    http: httpx.AsyncClient,
    *,
    url: str,
    webhook_id: str,
    body: bytes,
    secret: str,
    platform_key: ed25519.Ed25519PrivateKey | None,
    now: datetime,
    delai: float,
    max_bytes: int,
) -> Resultat:
    timestamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "accept-encoding": "identity",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            webhook_id=webhook_id, timestamp=timestamp, body=body, secret=secret, platform_key=platform_key
        ),
    }
    start = time.perf_counter()
    code: int | None = None
    read = 0
    truncated = False
    error: str | None = None
    try:
        async with asyncio.timeout(delai):
            async with http.stream("POST", url, content=body, headers=headers) as response:
                code = response.status_code
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read >= max_bytes:
                        truncated, read = True, max_bytes
                        break
    except TimeoutError:
        error = "delai_depasse"
    except UrlWebhookRefusee:
        return Resultat(False, None, "adresse_refusee", None, None, False)
    except httpx.HTTPError as exc:
        error = type(exc).__name__
    duree_ms = int((time.perf_counter() - start) * 1000)
    if error is None and code is not None and 300 <= code < 400:
        error = "redirection_non_suivie"
    succes = error is None and code is not None and 200 <= code < 300
    return Resultat(
        succes=succes,
        code_reponse=code,
        classe_erreur=error,
        duree_ms=duree_ms,
        octets_lus=read,
        reponse_tronquee=truncated,
    )
