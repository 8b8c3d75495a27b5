"""The blob store contract: immutable, content-addressed byte objects.

A blob is named by the lowercase hex SHA-256 of its content, computed while the upload streams in, so
the name *is* the integrity check: whoever holds a `BlobRef` can verify the bytes without trusting the
store. Blobs are written once and never modified; storing content that already exists returns the same
reference without rewriting it. The only deletions are legal purges and the cleanup of blobs no record
references (see `BlobStore.delete`).

Threat model: the store's medium (a disk, an S3 bucket) may be altered behind the platform's back. Reads
that serve evidence re-hash while streaming (`open(..., verify=True)` / `read_verified`) and end with
`IntegrityError` instead of silently serving altered bytes; `verify` checks a blob end to end for audits;
`open_checked` checks it whole before a response starts, then serves the same bytes.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass

from shared.errors import Conflit, ErreurIntegrite, Introuvable

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def is_sha256(value: str) -> bool:
    return _SHA256_HEX.fullmatch(value) is not None


def check_sha256(sha256: str) -> str:
    """Return `sha256` if it is 64 lowercase hex digits; anything else is a programming error."""
    if not _SHA256_HEX.fullmatch(sha256):
        raise ValueError(f"expected 64 lowercase hex digits for a SHA-256, got {sha256[:80]!r}")
    return sha256


@dataclass(frozen=True, slots=True)
class BlobRef:
    """What a record keeps about a blob: its SHA-256 (hex, lowercase) and its size in bytes."""

    sha256: str
    size: int

    def __post_init__(self) -> None:
        check_sha256(self.sha256)
        if self.size < 0:
            raise ValueError(f"blob size must be >= 0, got {self.size}")


class BlobNotFound(Introuvable):
    code = "blob-introuvable"
    title = "Document introuvable"


class IntegrityError(ErreurIntegrite):
    """Stored bytes no longer hash to their name: an alarm, never silently served."""

    code = "blob-integrite"
    title = "Document altéré"


class BlobRetained(Conflit):
    """The object is under a legal retention (S3 Object Lock, compliance mode) and cannot be deleted."""

    code = "blob-retention"
    title = "Document sous rétention légale"


def check_size(ref: BlobRef, expected: int | None) -> None:
    """`IntegrityError` if the blob is not of the size its record says (when the caller knows it)."""
    if expected is not None and ref.size != expected:
        raise IntegrityError(
            f"Taille inattendue pour {ref.sha256} : {ref.size} octets au lieu de {expected}."
        )


class CheckedContent:
    """A blob checked whole against its name, and an iterator over those same bytes.

    Returned by `BlobStore.open_checked`. Iterate it (at most once) to get the content; if the bytes
    change while they are served, the iteration ends with `IntegrityError` (the consumer discards what
    it received). Call `aclose()` when it will not be iterated to the end (it holds an open file).
    """

    __slots__ = ("_chunks", "_on_close", "ref")

    def __init__(
        self, ref: BlobRef, chunks: AsyncIterator[bytes], on_close: Callable[[], None] | None = None
    ) -> None:
        self.ref = ref
        self._chunks = chunks
        self._on_close = on_close

    def __aiter__(self) -> CheckedContent:
        return self

    async def __anext__(self) -> bytes:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        try:
            aclose = getattr(self._chunks, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            if self._on_close is not None:
                self._on_close()


class BlobStore(ABC):
    """Interchangeable storage backends; every method is async and never blocks the event loop."""

    @abstractmethod
    async def put_stream(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> BlobRef:
        """Store the streamed content and return its reference.

        The SHA-256 is computed while streaming and the content is never held whole in memory. As soon
        as more than `max_bytes` have arrived, raise `TropVolumineux` (413) and leave nothing behind;
        the same holds for any error or cancellation. Storing content that already exists returns the
        same reference and does not rewrite it.
        """

    async def put_bytes(self, data: bytes, *, max_bytes: int | None = None) -> BlobRef:
        """Store small in-memory content (generated documents); same rules as `put_stream`."""

        async def one() -> AsyncIterator[bytes]:
            yield data

        return await self.put_stream(one(), max_bytes=len(data) if max_bytes is None else max_bytes)

    @abstractmethod
    async def open(self, sha256: str, *, verify: bool = False) -> AsyncIterator[bytes]:
        """Check the blob exists (else `BlobNotFound`) and return an iterator over its chunks.

        Awaiting `open` fails early, before a streaming response has started. With `verify=True`
        the chunks are re-hashed as they go and the iteration ends with `IntegrityError` if the
        content does not match its name (the consumer must then discard what it received).
        """

    async def open_checked(self, sha256: str, *, size: int | None = None) -> CheckedContent:
        """Check the whole blob hashes to its name (and has `size` bytes, when given), then return
        its bytes to serve.

        For responses that must not start with altered bytes (`IntegrityError` is raised before
        anything is served; `BlobNotFound` if absent). This default reads the blob twice: once to
        check it, then re-hashing while it streams. Backends that can tell the bytes have not changed
        since the check serve them without hashing them again (`LocalBlobStore`).
        """
        ref = await self.verify(sha256)
        check_size(ref, size)
        return CheckedContent(ref, await self.open(sha256, verify=True))

    async def read_verified(self, sha256: str) -> AsyncIterator[bytes]:
        """`open(sha256, verify=True)`."""
        return await self.open(sha256, verify=True)

    async def read_bytes(self, sha256: str) -> bytes:
        """The whole verified content, for small blobs only (documents being sealed or parsed)."""
        return b"".join([chunk async for chunk in await self.open(sha256, verify=True)])

    async def verify(self, sha256: str) -> BlobRef:
        """Read the whole blob, check it hashes to its name; `IntegrityError` otherwise (audits)."""
        size = 0
        async for chunk in await self.open(sha256, verify=True):
            size += len(chunk)
        return BlobRef(sha256, size)

    @abstractmethod
    async def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    async def size(self, sha256: str) -> int:
        """Size in bytes; `BlobNotFound` if absent."""

    @abstractmethod
    async def delete(self, sha256: str) -> bool:
        """Remove a blob; True if something was removed.

        Only for legal purges and the cleanup of unreferenced blobs: the caller must have checked
        that no record references it and must log the purge. Backends with legal retention refuse
        with `BlobRetained` until the retention date has passed.
        """

    @abstractmethod
    async def ping(self) -> None:
        """Readiness: raise if the store cannot currently be read and written."""

    @abstractmethod
    def iter_all(self) -> AsyncIterator[BlobRef]:
        """Every stored blob (name and stored size), for integrity audits and orphan cleanup."""
