"""`spool` writes one batch while the next arrives, yet never leaves a write running behind it."""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
from collections.abc import AsyncIterator, Iterable

import pytest

from shared.blobs._streaming import CHUNK_SIZE, spool


class SlowFile(io.BytesIO):
    """A file whose writes wait for `release`, recording whether one is running."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.started = threading.Event()
        self.running = False

    def writelines(self, lines: Iterable[bytes], /) -> None:  # type: ignore[override]
        self.running = True
        self.started.set()
        self.release.wait(10)
        super().writelines(lines)
        self.running = False


async def test_batches_are_written_in_order_while_the_next_arrives() -> None:
    parts = [bytes([i]) * (CHUNK_SIZE // 2 + 1) for i in range(7)]
    out = io.BytesIO()

    async def source() -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    ref = await spool(source(), out, max_bytes=10 * CHUNK_SIZE, fsync=False)

    data = b"".join(parts)
    assert out.getvalue() == data
    assert (ref.sha256, ref.size) == (hashlib.sha256(data).hexdigest(), len(data))


async def test_cancellation_waits_for_the_write_in_flight() -> None:
    out = SlowFile()
    stalled = asyncio.Event()

    async def source() -> AsyncIterator[bytes]:
        yield b"x" * CHUNK_SIZE  # handed to a thread at once
        stalled.set()
        await asyncio.Event().wait()
        yield b"never"

    task = asyncio.create_task(spool(source(), out, max_bytes=4 * CHUNK_SIZE, fsync=False))
    await stalled.wait()
    await asyncio.to_thread(out.started.wait, 10)
    task.cancel()
    for _ in range(20):  # ample turns of the loop for the cancellation to finish a task not waiting
        await asyncio.sleep(0)
    assert not task.done(), "spool must not give the file back while a write is running"

    out.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not out.running
    assert out.getvalue() == b"x" * CHUNK_SIZE
