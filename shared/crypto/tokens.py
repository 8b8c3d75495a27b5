"""Random secrets, one-time codes and blind indexes.

What is stored, and why (threat model: an attacker who reads the database, but not the settings):

- **Tokens** (link tokens, management tokens, API secrets): 256 random bits, URL-safe base64. At rest
  only `hash_token(token)` = hex SHA-256 is kept. No pepper is needed: inverting SHA-256 over >= 128
  random bits is infeasible, so a leaked table yields nothing usable; and because the hash is
  deterministic it is also the lookup key (a unique index), after which `verify_token` compares in
  constant time.
- **One-time codes** (6 digits typed by a person): only 10^6 values, so a plain hash would fall to a
  brute force in milliseconds. `hash_code` is HMAC-SHA256 keyed with the server *pepper* (a setting,
  never in the database) and bound to a context (e.g. the link id and attempt number), so a stolen
  hash is useless without the pepper and cannot be transplanted to another row. Codes still need
  expiry, attempt limits and lock-out: the pepper does not make 10^6 guesses online any harder.
- **Blind indexes** (finding a declaration by identity without storing it in clear):
  `blind_index(key, normalised_value, domain)` = HMAC-SHA256 with domain separation, so the index of
  an e-mail address never collides with, or can be compared to, the index of a phone number. Use a key
  dedicated to blind indexes, distinct from the pepper and from the AEAD master keys.

Every HMAC input is length-prefixed (4-byte big-endian length before each field) under a versioned
label, so no two different (domain, value) pairs ever produce the same message.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from shared.crypto._material import KeyMaterial, key_bytes

TOKEN_BYTES = 32
MIN_TOKEN_BYTES = 16  # 128 bits: the floor the security baseline sets for every secret
CODE_DIGITS = 6
MIN_KEY_BYTES = 16

_CODE_LABEL = b"signif/code/v1"
_BLIND_INDEX_LABEL = b"signif/blind-index/v1"


def new_token(nbytes: int = TOKEN_BYTES) -> str:
    """A URL-safe random secret of `nbytes` random bytes (at least 16)."""
    if nbytes < MIN_TOKEN_BYTES:
        raise ValueError(f"a secret needs at least {MIN_TOKEN_BYTES} random bytes, asked {nbytes}")
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """Hex SHA-256 of a high-entropy token: what is stored and indexed instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def verify_token(token: str, token_hash: str) -> bool:
    """Constant-time check of a presented token against its stored hash."""
    return constant_time_equals(hash_token(token), token_hash)


def new_code(digits: int = CODE_DIGITS) -> str:
    """A uniformly random numeric one-time code, zero-padded (`"004217"`)."""
    if digits < 6:
        raise ValueError("a one-time code has at least 6 digits")
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def hash_code(code: str, *, pepper: KeyMaterial, context: str) -> str:
    """Hex HMAC-SHA256 of a one-time code under the server pepper, bound to `context`."""
    key = key_bytes(pepper, minimum=MIN_KEY_BYTES, what="the pepper")
    return _hmac(key, _CODE_LABEL, context.encode("utf-8"), code.encode("utf-8")).hex()


def verify_code(code: str, code_hash: str, *, pepper: KeyMaterial, context: str) -> bool:
    """Constant-time check of a typed code against its stored hash (same pepper and context)."""
    return constant_time_equals(hash_code(code, pepper=pepper, context=context), code_hash)


def blind_index(key: KeyMaterial, normalised_value: str, domain: str) -> str:
    """Hex HMAC-SHA256 of an already normalised value, separated by `domain` (e.g. "consent/email")."""
    if not domain:
        raise ValueError("a blind index needs a domain")
    raw_key = key_bytes(key, minimum=MIN_KEY_BYTES, what="the blind-index key")
    return _hmac(raw_key, _BLIND_INDEX_LABEL, domain.encode("utf-8"), normalised_value.encode("utf-8")).hex()


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    """Equality whose timing does not depend on where the inputs differ."""
    left = a.encode("utf-8") if isinstance(a, str) else a
    right = b.encode("utf-8") if isinstance(b, str) else b
    return hmac.compare_digest(left, right)


def _hmac(key: bytes, label: bytes, *fields: bytes) -> bytes:
    mac = hmac.new(key, label, hashlib.sha256)
    for field in fields:
        mac.update(len(field).to_bytes(4, "big"))
        mac.update(field)
    return mac.digest()
