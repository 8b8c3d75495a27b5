"""C2SP transparency log checkpoints (https://c2sp.org/tlog-checkpoint): a signed note whose text is

    <origin>\\n<tree size in decimal>\\n<base64 root hash>\\n[<extension line>\\n ...]

- origin: the log's identity, non-empty (SHOULD be a schema-less URL and match the signing key name);
- tree size: ASCII decimal, no leading zero unless the tree is empty;
- root hash: standard base64 of the 32-byte RFC 9162 root at that size;
- extension lines: optional, opaque, each non-empty.

Verifying a checkpoint means verifying the note (see `note.verify_note`) and, by default, requiring that
a verified signature comes from a key named like the origin: a witness's cosignature alone does not
make a log's checkpoint. Logs whose key name differs from their origin (`sum.golang.org` signs
`go.sum database tree`) are verified with `require_origin_key=False`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from shared.translog.note import NoteError, SignatureError, Signer, Verifier, sign_note, verify_note
from shared.translog.rfc9162 import HASH_SIZE

_SIZE = re.compile(r"0|[1-9][0-9]*")
_MAX_SIZE = 2**64 - 1


class CheckpointError(NoteError):
    """A malformed checkpoint body."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or any(c < " " for c in self.origin):
            raise CheckpointError(f"expected a non-empty one-line origin, got {self.origin!r}")
        if not 0 <= self.size <= _MAX_SIZE:
            raise CheckpointError(f"expected a tree size in [0, 2^64), got {self.size}")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"expected a {HASH_SIZE}-byte root hash, got {len(self.root_hash)} bytes")
        for line in self.extensions:
            if not line or any(c < " " for c in line):
                raise CheckpointError(f"expected non-empty one-line extensions, got {line!r}")

    def to_text(self) -> str:
        """The note text (body) of this checkpoint."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions))

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (the note text, final newline included)."""
        if not text.endswith("\n"):
            raise CheckpointError("expected the checkpoint text to end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(f"expected at least 3 lines (origin, size, root hash), got {len(lines)}")
        origin, size, root, *extensions = lines
        if not _SIZE.fullmatch(size):
            raise CheckpointError(f"expected a decimal tree size without leading zeros, got {size!r}")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CheckpointError(f"expected a base64 root hash, got {root!r}") from exc
        if base64.b64encode(root_hash).decode("ascii") != root:
            raise CheckpointError(f"expected a canonical base64 root hash, got {root!r}")
        return cls(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The signed note of `checkpoint`."""
    return sign_note(checkpoint.to_text(), signer)


def verify_checkpoint(
    note: str | bytes, verifiers: Iterable[Verifier], *, require_origin_key: bool = True
) -> Checkpoint:
    """Verify a signed checkpoint against trusted keys and return its body.

    Raises `SignatureError` when no trusted key signed it (or, with `require_origin_key`, when none of
    the verified signatures is by a key named like the origin), `CheckpointError` for a bad body and
    `NoteError` for a malformed note.
    """
    opened = verify_note(note, verifiers)
    checkpoint = Checkpoint.parse(opened.text)
    if require_origin_key and all(s.name != checkpoint.origin for s in opened.signatures):
        names = ", ".join(sorted({s.name for s in opened.signatures}))
        raise SignatureError(f"expected a signature by the origin's key {checkpoint.origin!r}, got {names}")
    return checkpoint
