"""The contract every backend honours: round trip, content addressing, limits, cleanup, integrity."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator

import pytest

from shared.blobs import BlobNotFound, BlobRef, BlobStore, IntegrityError
from shared.errors import TropVolumineux
from tests.shared.blobs.conftest import Backend

MB = 1 << 20


async def chunked(data: bytes, sizes: tuple[int, ...] = (65_536, 1, 300_000, 7)) -> AsyncIterator[bytes]:
    """Yield `data` in irregular chunk sizes, cycling through `sizes`."""
    pos, i = 0, 0
    while pos < len(data):
        step = sizes[i % len(sizes)]
        yield data[pos : pos + step]
        pos += step
        i += 1
        await asyncio.sleep(0)


async def collect(store: BlobStore, sha256: str, *, verify: bool = False) -> bytes:
    return b"".join([chunk async for chunk in await store.open(sha256, verify=verify)])


async def test_round_trip_of_a_few_megabytes(store: BlobStore) -> None:
    data = os.urandom(3 * MB + 12_345)

    ref = await store.put_stream(chunked(data), max_bytes=4 * MB)

    assert ref == BlobRef(hashlib.sha256(data).hexdigest(), len(data))
    assert await store.exists(ref.sha256)
    assert await store.size(ref.sha256) == len(data)
    chunks = [chunk async for chunk in await store.open(ref.sha256)]
    assert len(chunks) > 1, "large blobs are read in chunks, not in one piece"
    assert b"".join(chunks) == data
    assert await collect(store, ref.sha256, verify=True) == data
    assert b"".join([c async for c in await store.read_verified(ref.sha256)]) == data
    assert await store.verify(ref.sha256) == ref


async def test_content_addressing_and_deduplication(store: BlobStore) -> None:
    data = os.urandom(200_000)
    first = await store.put_stream(chunked(data), max_bytes=MB)
    again = await store.put_stream(chunked(data, sizes=(999,)), max_bytes=MB)
    other = await store.put_bytes(b"another document")

    assert again == first
    assert other.sha256 == hashlib.sha256(b"another document").hexdigest()
    listed = sorted([ref async for ref in store.iter_all()], key=lambda r: r.sha256)
    assert listed == sorted([first, other], key=lambda r: r.sha256)


async def test_empty_content_is_a_blob_too(store: BlobStore) -> None:
    ref = await store.put_bytes(b"")
    assert ref == BlobRef(hashlib.sha256(b"").hexdigest(), 0)
    assert await collect(store, ref.sha256, verify=True) == b""


async def test_exactly_max_bytes_is_accepted(store: BlobStore) -> None:
    data = os.urandom(1000)
    ref = await store.put_stream(chunked(data, sizes=(300,)), max_bytes=1000)
    assert ref.size == 1000


async def test_size_limit_stops_reading_and_leaves_nothing(backend: Backend) -> None:
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"x" * 300

    with pytest.raises(TropVolumineux) as excinfo:
        await backend.store.put_stream(endless(), max_bytes=1000)

    assert excinfo.value.status_code == 413
    assert excinfo.value.extra == {"taille_max": 1000}
    assert pulled == 4, "the upload is cut off on the first chunk past the limit"
    assert [ref async for ref in backend.store.iter_all()] == []
    assert backend.leftover_temp_files() == []


async def test_cancellation_mid_stream_leaves_no_temp_file(backend: Backend) -> None:
    first_chunk_sent = asyncio.Event()
    never = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield os.urandom(2 * MB)  # large enough to be written to the temp file already
        first_chunk_sent.set()
        await never.wait()
        yield b"never sent"

    task = asyncio.create_task(backend.store.put_stream(stalls(), max_bytes=10 * MB))
    await first_chunk_sent.wait()
    if backend.name == "local":
        assert len(backend.leftover_temp_files()) == 1, "the upload was in progress in a temp file"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert backend.leftover_temp_files() == []
    assert [ref async for ref in backend.store.iter_all()] == []


async def test_failing_source_leaves_nothing(backend: Backend) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(MB + 1)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await backend.store.put_stream(broken(), max_bytes=10 * MB)

    assert backend.leftover_temp_files() == []
    assert [ref async for ref in backend.store.iter_all()] == []


async def test_altered_content_raises_integrity_error(backend: Backend) -> None:
    data = os.urandom(3 * MB)
    ref = await backend.store.put_stream(chunked(data), max_bytes=4 * MB)
    altered = bytearray(data)
    altered[MB] ^= 0x01
    backend.tamper(ref.sha256, bytes(altered))

    with pytest.raises(IntegrityError) as excinfo:
        await collect(backend.store, ref.sha256, verify=True)
    assert excinfo.value.status_code == 500
    assert ref.sha256 in excinfo.value.detail
    with pytest.raises(IntegrityError):
        await backend.store.verify(ref.sha256)
    with pytest.raises(IntegrityError):
        await backend.store.read_bytes(ref.sha256)
    # Unverified reads are for callers that check the hash themselves: they see the raw bytes.
    assert await collect(backend.store, ref.sha256) == bytes(altered)


async def test_truncated_content_raises_integrity_error(backend: Backend) -> None:
    data = os.urandom(100_000)
    ref = await backend.store.put_bytes(data)
    backend.tamper(ref.sha256, data[:-1])

    with pytest.raises(IntegrityError):
        await backend.store.verify(ref.sha256)


async def test_open_checked_serves_the_checked_bytes(store: BlobStore) -> None:
    data = os.urandom(2 * MB + 777)
    ref = await store.put_stream(chunked(data), max_bytes=3 * MB)

    contenu = await store.open_checked(ref.sha256)

    assert contenu.ref == ref
    assert b"".join([chunk async for chunk in contenu]) == data


async def test_open_checked_refuses_altered_content_before_serving(backend: Backend) -> None:
    data = os.urandom(MB + 5)
    ref = await backend.store.put_bytes(data)
    backend.tamper(ref.sha256, data[:-1] + bytes([data[-1] ^ 0x80]))

    with pytest.raises(IntegrityError) as excinfo:
        await backend.store.open_checked(ref.sha256)
    assert ref.sha256 in excinfo.value.detail


async def test_open_checked_refuses_a_blob_of_another_size_than_recorded(store: BlobStore) -> None:
    data = b"%PDF-1.7 " + os.urandom(1000)
    ref = await store.put_bytes(data)

    with pytest.raises(IntegrityError, match="Taille inattendue"):
        await store.open_checked(ref.sha256, size=len(data) + 1)
    contenu = await store.open_checked(ref.sha256, size=len(data))
    assert b"".join([chunk async for chunk in contenu]) == data


async def test_open_checked_may_be_closed_unread(store: BlobStore) -> None:
    ref = await store.put_bytes(b"%PDF-1.7 never served")

    contenu = await store.open_checked(ref.sha256)
    await contenu.aclose()

    with pytest.raises(StopAsyncIteration):
        await contenu.__anext__()


async def test_unknown_blob(store: BlobStore) -> None:
    missing = hashlib.sha256(b"never stored").hexdigest()

    assert not await store.exists(missing)
    with pytest.raises(BlobNotFound) as excinfo:
        await store.open(missing)
    assert excinfo.value.status_code == 404
    with pytest.raises(BlobNotFound):
        await store.open_checked(missing)
    with pytest.raises(BlobNotFound):
        await store.size(missing)
    assert await store.delete(missing) is False


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "ab" * 31, ""])
async def test_malformed_names_are_refused(store: BlobStore, bad: str) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex"):
        await store.exists(bad)
    with pytest.raises(ValueError, match="64 lowercase hex"):
        await store.open(bad)


async def test_ping_when_ready(store: BlobStore) -> None:
    await store.ping()
    ref = await store.put_bytes(b"after ping")
    assert await store.exists(ref.sha256)
