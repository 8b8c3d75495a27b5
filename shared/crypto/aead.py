"""Personal data at rest: versioned AES-256-GCM envelopes under per-record data keys.

This is the only module of the project that imports AES-GCM.

Key hierarchy (envelope encryption, for crypto-shredding):

- each record owner (e.g. a declaration) gets its own random 256-bit **data key** (DEK);
- the DEK is stored only **wrapped** by a **master key** (KEK), named by a key id, in its own row;
- fields are encrypted under the DEK. Deleting the wrapped-DEK row makes every field of that record
  unrecoverable, even from backups of the field tables, without touching them.

Master keys rotate: new DEKs are wrapped under the current KEK, older wrapped DEKs still name theirs,
and `KeyProvider.rewrap` moves one to the current KEK without touching the data it protects.

Formats (version byte first, so a future format can coexist; the version is authenticated):

    field envelope v1:  0x01 | nonce (12) | AES-256-GCM ciphertext | tag (16)
        associated data = b"signif/aead/v1" 0x00 0x01 | context
    wrapped DEK v1:     0x01 | len(kid) (1) | kid (ASCII) | nonce (12) | AES-256-GCM(DEK) | tag (16)
        associated data = b"signif/kek/v1" 0x00 | the header before the nonce | context

The *context* is the record's address (e.g. "consent/declarations/<id>/nom"): a ciphertext moved to
another row or column, or a wrapped key moved to another owner, fails to decrypt. Nonces are random
(96 bits); each key protects few messages (one DEK per record, one wrap per DEK), far below the 2^32
messages per key where random GCM nonces start to be a concern.

Threat model: an attacker with the database (not the master keys) learns lengths only; any tampering,
truncation, swap, wrong key, unknown key id or destroyed key raises the one opaque `DecryptionError`,
which never says which check failed. Key objects redact themselves in `repr`, so they never reach logs.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.crypto._material import KeyMaterial, key_bytes

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
VERSION = 1
MIN_MASTER_SECRET_BYTES = 32

_FIELD_LABEL = b"signif/aead/v1\x00"
_WRAP_LABEL = b"signif/kek/v1\x00"
_KID = re.compile(r"[A-Za-z0-9._-]{1,64}")

Context = str | bytes


class DecryptionError(Exception):
    """The ciphertext or wrapped key cannot be opened: tampered, misplaced, wrong or destroyed key."""

    def __init__(self) -> None:
        super().__init__("déchiffrement impossible")


def _context_bytes(context: Context) -> bytes:
    return context.encode("utf-8") if isinstance(context, str) else bytes(context)


class DataKey:
    """A per-record 256-bit data key (DEK). Never stored unwrapped; redacted in `repr`."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a data key is {KEY_BYTES} bytes")
        self._key = bytes(key)

    @classmethod
    def generate(cls) -> DataKey:
        return cls(AESGCM.generate_key(bit_length=KEY_BYTES * 8))

    def __repr__(self) -> str:
        return "DataKey(<redacted>)"

    def _aesgcm(self) -> AESGCM:
        return AESGCM(self._key)


def encrypt(key: DataKey, plaintext: bytes, *, context: Context) -> bytes:
    """A v1 field envelope of `plaintext` under `key`, bound to `context`."""
    header = bytes([VERSION])
    nonce = os.urandom(NONCE_BYTES)
    sealed = key._aesgcm().encrypt(nonce, plaintext, _FIELD_LABEL + header + _context_bytes(context))
    return header + nonce + sealed


def decrypt(key: DataKey, envelope: bytes, *, context: Context) -> bytes:
    """Open a field envelope made by `encrypt` with the same key and context."""
    if len(envelope) < 1 + NONCE_BYTES + TAG_BYTES or envelope[0] != VERSION:
        raise DecryptionError()
    nonce, sealed = envelope[1 : 1 + NONCE_BYTES], envelope[1 + NONCE_BYTES :]
    try:
        return key._aesgcm().decrypt(nonce, sealed, _FIELD_LABEL + envelope[:1] + _context_bytes(context))
    except InvalidTag as exc:
        raise DecryptionError() from exc


def encrypt_text(key: DataKey, plaintext: str, *, context: Context) -> bytes:
    return encrypt(key, plaintext.encode("utf-8"), context=context)


def decrypt_text(key: DataKey, envelope: bytes, *, context: Context) -> str:
    try:
        return decrypt(key, envelope, context=context).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecryptionError() from exc


class MasterKey:
    """A key-encryption key (KEK) and its id; redacted in `repr`."""

    __slots__ = ("_key", "kid")

    def __init__(self, kid: str, key: bytes) -> None:
        if not _KID.fullmatch(kid):
            raise ValueError("a key id is 1 to 64 characters among A-Z a-z 0-9 . _ -")
        if len(key) != KEY_BYTES:
            raise ValueError(f"a master key is {KEY_BYTES} bytes")
        self.kid = kid
        self._key = bytes(key)

    @classmethod
    def from_secret(cls, kid: str, secret: KeyMaterial) -> MasterKey:
        """Derive the KEK from a high-entropy secret (>= 32 bytes, e.g. a `SecretStr` setting).

        HKDF-SHA256 with the key id in `info`: a KDF for random secrets, not a password hash, so the
        secret must come from a CSPRNG (`python -c "import secrets; print(secrets.token_urlsafe(32))"`).
        """
        raw = key_bytes(secret, minimum=MIN_MASTER_SECRET_BYTES, what=f"master key {kid!r}")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_WRAP_LABEL + kid.encode())
        return cls(kid, hkdf.derive(raw))

    def __repr__(self) -> str:
        return f"MasterKey(kid={self.kid!r}, key=<redacted>)"


def _wrap_header(kid: str) -> bytes:
    encoded = kid.encode("ascii")
    return bytes([VERSION, len(encoded)]) + encoded


def wrapped_kid(wrapped: bytes) -> str:
    """The master key id a wrapped DEK names (raises `DecryptionError` if it is malformed)."""
    if len(wrapped) < 2 or wrapped[0] != VERSION or len(wrapped) < 2 + wrapped[1]:
        raise DecryptionError()
    try:
        kid = wrapped[2 : 2 + wrapped[1]].decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecryptionError() from exc
    if not _KID.fullmatch(kid):
        raise DecryptionError()
    return kid


class KeyProvider(ABC):
    """Wraps and unwraps data keys under master keys (local secrets here; a KMS/HSM could back it)."""

    @property
    @abstractmethod
    def current_kid(self) -> str:
        """The master key id new data keys are wrapped under."""

    @abstractmethod
    def wrap(self, dek: DataKey, *, context: Context) -> bytes:
        """The DEK wrapped under the current master key, bound to its owner's `context`."""

    @abstractmethod
    def unwrap(self, wrapped: bytes, *, context: Context) -> DataKey:
        """The DEK back; `DecryptionError` on any failure (unknown kid included)."""

    def needs_rewrap(self, wrapped: bytes) -> bool:
        return wrapped_kid(wrapped) != self.current_kid

    def rewrap(self, wrapped: bytes, *, context: Context) -> bytes:
        """The same DEK wrapped under the current master key (rotation); the data is untouched."""
        return self.wrap(self.unwrap(wrapped, context=context), context=context)

    def new_data_key(self, *, context: Context) -> tuple[DataKey, bytes]:
        """A fresh DEK and its wrapped form (store the latter, use the former)."""
        dek = DataKey.generate()
        return dek, self.wrap(dek, context=context)


class LocalKeyProvider(KeyProvider):
    """Master keys held in process memory, from settings; retired keys are kept to unwrap old DEKs."""

    def __init__(self, master_keys: Iterable[MasterKey], *, current_kid: str) -> None:
        self._keys: dict[str, MasterKey] = {}
        for key in master_keys:
            if key.kid in self._keys:
                raise ValueError(f"duplicate master key id {key.kid!r}")
            self._keys[key.kid] = key
        if current_kid not in self._keys:
            raise ValueError(f"current master key {current_kid!r} is not among the configured keys")
        self._current = current_kid

    @classmethod
    def from_secrets(cls, secrets: Mapping[str, KeyMaterial], *, current_kid: str) -> LocalKeyProvider:
        return cls([MasterKey.from_secret(kid, s) for kid, s in secrets.items()], current_kid=current_kid)

    def __repr__(self) -> str:
        return f"LocalKeyProvider(current_kid={self._current!r}, kids={sorted(self._keys)!r})"

    @property
    def current_kid(self) -> str:
        return self._current

    def wrap(self, dek: DataKey, *, context: Context) -> bytes:
        header = _wrap_header(self._current)
        nonce = os.urandom(NONCE_BYTES)
        aad = _WRAP_LABEL + header + _context_bytes(context)
        return header + nonce + AESGCM(self._keys[self._current]._key).encrypt(nonce, dek._key, aad)

    def unwrap(self, wrapped: bytes, *, context: Context) -> DataKey:
        kid = wrapped_kid(wrapped)
        master = self._keys.get(kid)
        header_len = 2 + wrapped[1]
        if master is None or len(wrapped) != header_len + NONCE_BYTES + KEY_BYTES + TAG_BYTES:
            raise DecryptionError()
        nonce = wrapped[header_len : header_len + NONCE_BYTES]
        aad = _WRAP_LABEL + wrapped[:header_len] + _context_bytes(context)
        try:
            return DataKey(AESGCM(master._key).decrypt(nonce, wrapped[header_len + NONCE_BYTES :], aad))
        except InvalidTag as exc:
            raise DecryptionError() from exc
