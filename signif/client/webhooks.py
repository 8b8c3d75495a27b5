"""Verifying the platform's webhooks (Standard Webhooks, https://www.standardwebhooks.com).

Signed content: `{webhook-id}.{webhook-timestamp}.{body}`, over the body bytes exactly as received.
The `webhook-signature` header lists space-separated `<version>,<base64>` signatures:
- `v1`: HMAC-SHA256 keyed with the subscription's secret (`whsec_<base64>`, returned once by
  `POST /notify/v1/abonnements`), computed by the `standardwebhooks` library;
- `v1a`: Ed25519 by the platform's key, published as `whpk_<base64>` at
  `GET /notify/v1/.well-known/webhooks-key` (it proves the platform sent it, not only a holder of
  the shared secret).
A webhook is accepted when its timestamp is within `tolerance` of `maintenant` (replays of old
deliveries are refused) and every kind of signature asked for holds. Deduplicate on `webhook-id`:
delivery is at least once, and a redelivery keeps its id.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks import Webhook

from .erreurs import SignatureWebhookInvalide
from .modeles import Evenement

TOLERANCE = timedelta(minutes=5)
PREFIXE_CLE_PUBLIQUE = "whpk_"


def verifier_webhook(
    corps: bytes,
    entetes: Mapping[str, str],
    *,
    secret: str | None = None,
    cle_publique: str | None = None,
    maintenant: datetime | None = None,
    tolerance: timedelta = TOLERANCE,
) -> Evenement:
    """The event of a webhook whose signatures hold, else `SignatureWebhookInvalide`.

    Give `secret` to check the v1 (HMAC) signature, `cle_publique` (`whpk_...`) to check the v1a
    (Ed25519) one, or both: each one given must hold. `maintenant` defaults to the system clock.
    """
    if secret is None and cle_publique is None:
        raise ValueError("give the subscription's secret, the platform's public key, or both")
    bas = {k.lower(): v for k, v in entetes.items()}
    ident, horodatage, signatures = (
        bas.get(k) for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
    )
    if not (ident and horodatage and signatures):
        raise SignatureWebhookInvalide("en-têtes webhook-id, webhook-timestamp ou webhook-signature absents")
    try:
        instant = datetime.fromtimestamp(int(horodatage), UTC)
    except (ValueError, OverflowError) as exc:
        raise SignatureWebhookInvalide("webhook-timestamp illisible") from exc
    if abs((maintenant or datetime.now(UTC)) - instant) > tolerance:
        raise SignatureWebhookInvalide(
            "webhook-timestamp hors de la tolérance (message trop ancien ou futur)"
        )
    offertes = signatures.split()
    if secret is not None:
        attendue = Webhook(secret).sign(ident, instant, corps)
        if not any(hmac.compare_digest(attendue, s) for s in offertes):
            raise SignatureWebhookInvalide("aucune signature v1 valable pour ce secret")
    if cle_publique is not None and not _v1a_valable(
        cle_publique, f"{ident}.{horodatage}.".encode() + corps, offertes
    ):
        raise SignatureWebhookInvalide("aucune signature v1a valable pour la clé de la plateforme")
    return Evenement.model_validate_json(corps)


def _v1a_valable(cle_publique: str, contenu: bytes, offertes: list[str]) -> bool:
    if not cle_publique.startswith(PREFIXE_CLE_PUBLIQUE):
        raise ValueError("the platform's webhook key starts with whpk_")
    cle = Ed25519PublicKey.from_public_bytes(base64.b64decode(cle_publique[len(PREFIXE_CLE_PUBLIQUE) :]))
    for offerte in offertes:
        version, _, valeur = offerte.partition(",")
        if version != "v1a":
            continue
        try:
            cle.verify(base64.b64decode(valeur, validate=True), contenu)
        except (InvalidSignature, binascii.Error, ValueError):
            continue
        return True
    return False
