"""Standard Webhooks signatures (https://www.standardwebhooks.com, spec "Signature scheme").

Signed content: `{webhook-id}.{webhook-timestamp}.{body}`, over the exact body bytes sent.

- `v1`: HMAC-SHA256 with the subscription's symmetric secret, serialised for the office as
  `whsec_<base64 of 32 random bytes>`; the HMAC key is the decoded bytes, not the string.
- `v1a`: Ed25519 with the platform's key; its public key is published as `whpk_<base64 raw key>`.

The `webhook-signature` header is a space-separated list of `<version>,<base64 signature>`.
The id (the event id) and the timestamp never contain a '.', so the content is unambiguous.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret
PUBLIC_KEY_PREFIX = "whpk_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a Standard Webhooks secret starts with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)


def signed_content(webhook_id: str, timestamp: int, body: bytes) -> bytes:
    if "." in webhook_id:
        raise ValueError("a webhook id never contains '.'")
    return f"{webhook_id}.{timestamp}.".encode() + body


def public_key_text(key: ed25519.Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def signature_header(
    *,
    webhook_id: str,
    timestamp: int,
    body: bytes,
    secret: str,
    platform_key: ed25519.Ed25519PrivateKey | None,
) -> str:
    content = signed_content(webhook_id, timestamp, body)
    mac = hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()
    parts = ["v1," + base64.b64encode(mac).decode("ascii")]
    if platform_key is not None:
        parts.append("v1a," + base64.b64encode(platform_key.sign(content)).decode("ascii"))
    return " ".join(parts)
