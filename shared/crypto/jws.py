"""Compact JWS (RFC 7515) with EdDSA / Ed25519 (RFC 8037) only.

Format: `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)` with the protected header
`{"alg": "EdDSA", "kid": <RFC 7638 thumbprint of the signing key>}` (plus `typ` when asked). The seal
signs avis, certificats and receipts this way; the public keys are published as a JWKS and retired
keys stay in it, so any JWS ever issued verifies offline by `kid`.

Threat model for `verify`: the token is attacker-controlled. Only `alg: EdDSA` is accepted (no `none`,
no HMAC with a public key as secret, no algorithm substitution), the key is taken *only* from the
caller's JWKS by `kid` (never from `jwk`/`jku`/`x5u` headers), a JWK must be an Ed25519 OKP key whose
`alg`/`use`, when present, agree; a `crit` header is refused (we understand no extension); the encoding
is strict (unpadded base64url, JSON objects without duplicate members). Every failure raises the same
opaque `InvalidJwsError`: the caller learns nothing about which check failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

ALGORITHM = "EdDSA"
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class InvalidJwsError(Exception):
    """The JWS is malformed, uses a refused algorithm, names an unknown key, or does not verify."""

    def __init__(self) -> None:
        super().__init__("signature JWS invalide")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url (RFC 7515 §2); raises `ValueError` on anything else."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not unpadded base64url") from exc
    if b64url_encode(data) != text:  # non-zero trailing bits: one value, one encoding
        raise ValueError("non-canonical base64url")
    return data


def _canonical_json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(
        value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False
    ).encode()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate member {key!r}")
        result[key] = value
    return result


def _json_object(data: bytes) -> dict[str, Any]:
    value = json.loads(data, object_pairs_hook=_no_duplicates)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


# --- keys as JWK ----------------------------------------------------------------------------------


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an OKP key: SHA-256 over `{"crv","kty","x"}` in lexicographic order."""
    required = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    return b64url_encode(hashlib.sha256(canonical).digest())


def public_jwk(public_key: ed25519.Ed25519PublicKey) -> dict[str, str]:
    """The RFC 8037 JWK of an Ed25519 public key, with `kid` = its RFC 7638 thumbprint."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    return {**jwk, "kid": jwk_thumbprint(jwk), "use": "sig", "alg": ALGORITHM}


def key_id(public_key: ed25519.Ed25519PublicKey) -> str:
    return public_jwk(public_key)["kid"]


def jwks(public_keys: Iterable[ed25519.Ed25519PublicKey]) -> dict[str, list[dict[str, str]]]:
    """A JWKS document (`{"keys": [...]}`) publishing the given keys, current and retired."""
    return {"keys": [public_jwk(key) for key in public_keys]}


def _public_key_from_jwk(jwk: Mapping[str, Any]) -> ed25519.Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 OKP key")
    if jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("use", "sig") != "sig":
        raise ValueError("key not meant for EdDSA signatures")
    if "d" in jwk:
        raise ValueError("a private key has no place in a JWKS")
    x = jwk.get("x")
    if not isinstance(x, str):
        raise ValueError("missing x")
    return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(x))


def _find_key(jwks_document: Mapping[str, Any], kid: str) -> ed25519.Ed25519PublicKey:
    keys = jwks_document.get("keys")
    if not isinstance(keys, list):
        raise ValueError("JWKS without a keys array")
    matches = [k for k in keys if isinstance(k, Mapping) and k.get("kid") == kid]
    if len(matches) != 1:
        raise ValueError("no single key for this kid")
    return _public_key_from_jwk(matches[0])


# --- sign and verify ------------------------------------------------------------------------------


def sign(
    payload: Mapping[str, Any] | bytes,
    private_key: ed25519.Ed25519PrivateKey,
    *,
    kid: str | None = None,
    typ: str | None = None,
) -> str:
    """Compact JWS over `payload` (bytes as-is, a mapping as compact sorted JSON) with `kid`."""
    header: dict[str, str] = {"alg": ALGORITHM, "kid": kid or key_id(private_key.public_key())}
    if typ is not None:
        header["typ"] = typ
    body = payload if isinstance(payload, bytes) else _canonical_json(payload)
    signing_input = f"{b64url_encode(_canonical_json(header))}.{b64url_encode(body)}"
    signature = private_key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


@dataclass(frozen=True, slots=True)
class VerifiedJws:
    header: dict[str, Any]
    payload: bytes

    @property
    def kid(self) -> str:
        return str(self.header["kid"])

    def json(self) -> dict[str, Any]:
        """The payload as a JSON object (raises `InvalidJwsError` if it is not one)."""
        try:
            return _json_object(self.payload)
        except ValueError as exc:
            raise InvalidJwsError() from exc


def verify(token: str, jwks_document: Mapping[str, Any]) -> VerifiedJws:
    """Verify a compact EdDSA JWS against a JWKS; every failure raises the opaque `InvalidJwsError`."""
    try:
        # 1. Three strictly encoded parts.
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("not a compact JWS")
        header_b64, payload_b64, signature_b64 = parts
        header = _json_object(b64url_decode(header_b64))
        payload = b64url_decode(payload_b64)
        signature = b64url_decode(signature_b64)
        # 2. The header: EdDSA only, a string kid, no extension we would have to understand.
        if header.get("alg") != ALGORITHM or "crit" in header:
            raise ValueError("refused header")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise ValueError("missing kid")
        # 3. The key comes from the caller's JWKS, by kid, and nowhere else.
        public_key = _find_key(jwks_document, kid)
        # 4. The signature over the exact bytes received.
        public_key.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"))
    except (ValueError, KeyError, TypeError, UnicodeError, InvalidSignature) as exc:
        raise InvalidJwsError() from exc
    return VerifiedJws(header=header, payload=payload)


def verify_json(token: str, jwks_document: Mapping[str, Any]) -> dict[str, Any]:
    """`verify`, then the payload as a JSON object."""
    return verify(token, jwks_document).json()


@dataclass(frozen=True, slots=True)
class JwsSigner:
    """A signing key with its JWK: what the seal, the log and the issuer hold."""

    private_key: ed25519.Ed25519PrivateKey

    def __repr__(self) -> str:
        return f"JwsSigner(kid={self.kid!r}, private_key=<redacted>)"

    @property
    def jwk(self) -> dict[str, str]:
        return public_jwk(self.private_key.public_key())

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    def sign(self, payload: Mapping[str, Any] | bytes, *, typ: str | None = None) -> str:
        return sign(payload, self.private_key, kid=self.kid, typ=typ)
