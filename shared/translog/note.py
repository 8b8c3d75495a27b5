"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys.

Format: the note text (UTF-8, ending in a newline), a blank line, then one or more signature lines
`— <key name> <base64(4-byte key ID || signature)>` (em dash U+2014, space). The whole note must be
valid UTF-8 with no ASCII control character other than newline; the text is separated from the
signatures by the *last* blank line.

Keys, in the golang.org/x/mod/sumdb/note encoding:

- verifier key `<name>+<8 hex key ID>+<base64(0x01 || 32-byte public key)>`;
- signer key `PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x01 || 32-byte seed)>` (a secret);
- key ID = the first 4 bytes, big-endian, of `SHA-256(name || 0x0A || 0x01 || public key)`;
- key names are non-empty, without Unicode spaces or `+`.

Threat model: a note's text means nothing until a signature by a *trusted* key verifies. `verify_note`
ignores signatures from unknown (name, key ID) pairs, as the spec requires (other logs, witnesses,
rotated keys), rejects the whole note if a signature from a known key fails (the spec's SHOULD), and
requires at least one verified signature. Parsing is strict: canonical base64 only, at most
`MAX_SIGNATURES` signature lines, no trailing data. Ed25519 is deterministic (RFC 8032), so signing the
same text with the same key always gives the same note.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16
_SIG_PREFIX = "— "
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")


class NoteError(Exception):
    """A malformed note or key string."""


class SignatureError(NoteError):
    """The note is not signed by any trusted key, or a trusted key's signature does not verify."""


def _b64decode(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError(f"expected standard base64 for the {what}, got {value!r}") from exc
    if base64.b64encode(raw).decode("ascii") != value:  # refuse non-canonical encodings
        raise NoteError(f"expected canonical base64 for the {what}, got {value!r}")
    return raw


def check_name(name: str) -> str:
    """Return `name` if it is a valid key name: non-empty, no Unicode space, no `+`, no control char."""
    if not name or "+" in name or any(c.isspace() or c < " " for c in name):
        raise NoteError(f"expected a non-empty key name without spaces or '+', got {name!r}")
    return name


def key_id(name: str, public_key: bytes) -> int:
    """The C2SP key ID of an Ed25519 key: SHA-256(name || "\\n" || 0x01 || public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _split_key(parts: list[str], what: str) -> tuple[str, int, bytes]:
    name, hex_id, b64 = parts
    if not _HEX_ID.fullmatch(hex_id):
        raise NoteError(f"expected an 8-digit hex key ID in the {what}, got {hex_id!r}")
    raw = _b64decode(b64, what)
    if not raw or raw[0] != ALG_ED25519:
        raise NoteError(
            f"expected the Ed25519 algorithm byte 0x01 in the {what}, got {raw[:1].hex() or 'nothing'}"
        )
    if len(raw) != 33:
        raise NoteError(f"expected a 32-byte Ed25519 key in the {what}, got {len(raw) - 1} bytes")
    return check_name(name), int(hex_id, 16), raw[1:]


@dataclass(frozen=True)
class Verifier:
    """A trusted note key: name, key ID and Ed25519 public key."""

    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse `<name>+<hex key ID>+<base64(0x01 || public key)>`, checking the key ID."""
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteError(f"expected a verifier key '<name>+<hex id>+<base64 key>', got {vkey!r}")
        name, claimed, public_key = _split_key(parts, "verifier key")
        if key_id(name, public_key) != claimed:
            raise NoteError(f"expected key ID {key_id(name, public_key):08x} for this key, got {claimed:08x}")
        return cls(name, claimed, public_key)

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class Signer:
    """A note signing key. The private key never appears in `repr`."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = check_name(name)
        self._private_key = private_key
        public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.verifier = Verifier(self.name, key_id(self.name, public), public)
        self.key_id = self.verifier.key_id

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`, checking the key ID."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("expected a signer key 'PRIVATE+KEY+<name>+<hex id>+<base64 seed>'")
        name, claimed, seed = _split_key(parts[2:], "signer key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        if signer.key_id != claimed:
            raise NoteError(f"expected key ID {signer.key_id:08x} for this signer key, got {claimed:08x}")
        return signer

    @property
    def skey(self) -> str:
        """The secret signer key string (store it as a secret)."""
        seed = self._private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        encoded = base64.b64encode(bytes([ALG_ED25519]) + seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{encoded}"

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, key_id={self.key_id:08x}, private_key=<redacted>)"


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key ID and the raw signature bytes."""

    name: str
    key_id: int
    signature: bytes


@dataclass(frozen=True)
class Note:
    """An opened note: its text, the verified signatures and the ignored ones (unknown keys)."""

    text: str
    signatures: tuple[Signature, ...]
    unverified: tuple[Signature, ...] = ()


def _check_chars(value: str) -> bytes:
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError("expected valid UTF-8 text") from exc
    if any(c < " " and c != "\n" for c in value):
        raise NoteError("expected no control characters other than newline")
    return encoded


def sign_note(text: str, *signers: Signer) -> str:
    """Sign `text` (which must end with a newline) with each signer, in order."""
    if not signers:
        raise NoteError("expected at least one signer")
    if not text.endswith("\n"):
        raise NoteError("expected the note text to end with a newline")
    message = _check_chars(text)
    lines = []
    for signer in signers:
        payload = signer.key_id.to_bytes(4, "big") + signer.sign(message)
        lines.append(f"{_SIG_PREFIX}{signer.name} {base64.b64encode(payload).decode('ascii')}\n")
    return text + "\n" + "".join(lines)


def parse_note(note: str | bytes) -> tuple[str, list[Signature]]:
    """Split a signed note into its text and signature lines, strictly, without verifying anything."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("expected a UTF-8 note") from exc
    _check_chars(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("expected a blank line between the text and the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("expected signature lines ending with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"expected at most {MAX_SIGNATURES} signatures, got {len(lines)}")
    signatures = []
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise NoteError(f"expected a signature line starting with '— ', got {line[:40]!r}")
        name, _, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        check_name(name)
        raw = _b64decode(b64, "signature")
        if len(raw) < 5:
            raise NoteError(f"expected a key ID and a signature, got {len(raw)} bytes")
        signatures.append(Signature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    return text, signatures


def verify_note(note: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse and verify a signed note against trusted keys; raise `SignatureError` unless it holds."""
    known: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        previous = known.setdefault((verifier.name, verifier.key_id), verifier)
        if previous.public_key != verifier.public_key:
            raise NoteError(f"ambiguous verifiers: two keys named {verifier.name}+{verifier.key_id:08x}")
    text, signatures = parse_note(note)
    message = text.encode("utf-8")
    verified: dict[tuple[str, int], Signature] = {}
    unverified: dict[Signature, None] = {}
    for signature in signatures:
        trusted = known.get((signature.name, signature.key_id))
        if trusted is None:
            unverified[signature] = None
        elif trusted.verify(message, signature.signature):
            verified.setdefault((signature.name, signature.key_id), signature)
        else:
            raise SignatureError(f"invalid signature by trusted key {signature.name}+{signature.key_id:08x}")
    if not verified:
        raise SignatureError("expected a signature by a trusted key, got none")
    return Note(text, tuple(verified.values()), tuple(unverified))
