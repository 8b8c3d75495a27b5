"""Streaming helpers shared by the backends: spool with hash and size limit, read with re-hash.

Blocking file and network reads run in worker threads in batches of `CHUNK_SIZE`, and the SHA-256 is
updated in the same thread (hashlib releases the GIL on large buffers), so the event loop only moves
references to byte strings around. While an upload is spooled, one batch is hashed and written in a
thread as the next one arrives, so the upload's own pace is the limit (at most two batches in
memory). `anyio.to_thread.run_sync` is used because it does not abandon the thread on cancellation,
and `spool` never returns nor raises while a write is in flight: the caller's cleanup never races a
write on the same file descriptor.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import IO

from anyio import CancelScope, to_thread

from shared.blobs.base import BlobRef, IntegrityError
from shared.errors import TropVolumineux

CHUNK_SIZE = 1 << 20


def too_large(max_bytes: int) -> TropVolumineux:
    return TropVolumineux(
        f"Le document dépasse la taille maximale autorisée ({max_bytes} octets).",
        extra={"taille_max": max_bytes},
    )


def _write_batch(out: IO[bytes], hasher: hashlib._Hash, parts: list[bytes]) -> None:
    for part in parts:
        hasher.update(part)
    out.writelines(parts)


def _flush(out: IO[bytes], fsync: bool) -> None:
    out.flush()
    if fsync:
        os.fsync(out.fileno())


async def spool(chunks: AsyncIterable[bytes], out: IO[bytes], *, max_bytes: int, fsync: bool) -> BlobRef:
    """Copy `chunks` into `out`, hashing on the way; `TropVolumineux` once `max_bytes` is exceeded.

    The limit is checked on every chunk as it arrives, before it is buffered, so an oversized upload
    is cut off after at most one chunk beyond the limit, never read to its end. Batches are hashed
    and written in order, each one while the next arrives.
    """
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
    hasher = hashlib.sha256()
    size = 0
    pending: list[bytes] = []
    pending_size = 0
    writing: asyncio.Task[None] | None = None
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            size += len(chunk)
            if size > max_bytes:
                raise too_large(max_bytes)
            pending.append(bytes(chunk))
            pending_size += len(chunk)
            if pending_size >= CHUNK_SIZE:
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(to_thread.run_sync(_write_batch, out, hasher, pending))
                pending, pending_size = [], 0
        if writing is not None:
            await writing
        if pending:
            await to_thread.run_sync(_write_batch, out, hasher, pending)
        await to_thread.run_sync(_flush, out, fsync)
    finally:
        if writing is not None:
            await _settle(writing)
    return BlobRef(hasher.hexdigest(), size)


async def _settle(writing: asyncio.Task[None]) -> None:
    """Return only once `writing` is over, even if this task is cancelled meanwhile (re-raised after).

    Its outcome is dropped: either `spool` has already awaited it, or another exception is on its way.
    """
    interrupted: asyncio.CancelledError | None = None
    while not writing.done():
        try:
            with CancelScope(shield=True):
                await asyncio.wait([writing])
        except asyncio.CancelledError as exc:
            interrupted = exc
    if not writing.cancelled():
        writing.exception()  # retrieved, so that asyncio does not report it as never retrieved
    if interrupted is not None:
        raise interrupted


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
