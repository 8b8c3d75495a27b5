"""Streaming helpers shared by the backends: spool with hash and size limit, read with re-hash.

Blocking file and network reads run in worker threads in batches of `CHUNK_SIZE`, and the SHA-256 is
updated in the same thread (hashlib releases the GIL on large buffers), so the event loop only moves
references to byte strings around. `anyio.to_thread.run_sync` is used because it does not abandon the
thread on cancellation: a cancelled upload waits for the in-flight write to finish, so the caller's
cleanup never races a write on the same file descriptor.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import IO

from anyio import to_thread

from shared.blobs.base import BlobRef, IntegrityError
from shared.errors import TropVolumineux

CHUNK_SIZE = 1 << 20


def too_large(max_bytes: int) -> TropVolumineux:
    return TropVolumineux(
        f"Le document dépasse la taille maximale autorisée ({max_bytes} octets).",
        extra={"taille_max": max_bytes},
    )


def _write_batch(out: IO[bytes], hasher: hashlib._Hash, parts: list[bytes]) -> None:
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    hasher.update(data)
    out.write(data)


def _flush(out: IO[bytes], fsync: bool) -> None:
    out.flush()
    if fsync:
        os.fsync(out.fileno())


async def spool(chunks: AsyncIterable[bytes], out: IO[bytes], *, max_bytes: int, fsync: bool) -> BlobRef:
    """Copy `chunks` into `out`, hashing on the way; `TropVolumineux` once `max_bytes` is exceeded.

    The limit is checked on every chunk as it arrives, before it is buffered, so an oversized upload
    is cut off after at most one chunk beyond the limit, never read to its end.
    """
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
    hasher = hashlib.sha256()
    size = 0
    pending: list[bytes] = []
    pending_size = 0
    async for chunk in chunks:
        if not chunk:
            continue
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        pending.append(bytes(chunk))
        pending_size += len(chunk)
        if pending_size >= CHUNK_SIZE:
            await to_thread.run_sync(_write_batch, out, hasher, pending)
            pending, pending_size = [], 0
    if pending:
        await to_thread.run_sync(_write_batch, out, hasher, pending)
    await to_thread.run_sync(_flush, out, fsync)
    return BlobRef(hasher.hexdigest(), size)


def _read_batch(read: Callable[[int], bytes], hasher: hashlib._Hash | None) -> bytes:
    data = read(CHUNK_SIZE)
    if hasher is not None and data:
        hasher.update(data)
    return data


async def read_chunks(
    read: Callable[[int], bytes], *, sha256: str, verify: bool, expected_size: int | None = None
) -> AsyncIterator[bytes]:
    """Yield `read(CHUNK_SIZE)` results until EOF; with `verify`, end with an integrity check."""
    hasher = hashlib.sha256() if verify else None
    size = 0
    while True:
        data = await to_thread.run_sync(_read_batch, read, hasher)
        if not data:
            break
        size += len(data)
        yield data
    if hasher is not None:
        got = hasher.hexdigest()
        if got != sha256 or (expected_size is not None and size != expected_size):
            # Expected vs got, as in every verification error; no content is echoed.
            raise IntegrityError(f"Le document {sha256} est altéré : empreinte obtenue {got}, taille {size}.")
