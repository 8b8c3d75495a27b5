"""Blob pieces: a bundle whose acte and annexes are read from the blob store while the ZIP is written
to a file is byte for byte the bundle built in memory from the same content; a stored piece that no
longer matches its reference (altered bytes, wrong recorded size, missing blob) stops the writing
with an error, never a bundle; and the builder never holds a large piece whole in memory."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.blobs.base import BlobNotFound, BlobRef
from shared.blobs.local import LocalBlobStore
from shared.evidence import format as fmt
from shared.evidence.bundle import BundleBuilder, PieceAlteree
from shared.evidence.verify import verify_bundle
from tests.shared.evidence.helpers import ACTE_ID, Built, alter_blob, files_of

GENERATED = (fmt.MANIFEST, fmt.GUIDE, fmt.SUMS)
GENERE_LE = datetime(2026, 3, 12, 9, 30, 0, 123456, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


def _large(path: str) -> bool:
    return path == fmt.ACTE or path.startswith(fmt.ANNEXES)


async def _builder(
    genuine: Built, store: LocalBlobStore, refs: dict[str, BlobRef] | None = None
) -> BundleBuilder:
    """The genuine bundle's pieces, the acte and annexes by reference to blobs of `store`."""
    builder = BundleBuilder.acte(ACTE_ID, genere_le=GENERE_LE)
    for path, data in files_of(genuine.bundle).items():
        if path in GENERATED:
            continue
        if _large(path):
            ref = await store.put_bytes(data)
            builder.add_blob(path, store, (refs or {}).get(path, ref))
        else:
            builder.add_file(path, data)
    return builder


async def _written(builder: BundleBuilder) -> bytes:
    with tempfile.TemporaryFile() as out:
        await builder.write_to(out)
        out.seek(0)
        return out.read()


async def test_streamed_bundle_is_the_built_bundle(genuine: Built, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    builder = await _builder(genuine, store)
    with pytest.raises(ValueError, match="write_to"):
        builder.build()
    bundle = await _written(builder)
    assert bundle == genuine.bundle
    assert verify_bundle(bundle).ok


async def test_named_helpers_number_annexes_like_add_annexe(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    ref = await store.put_bytes(b"%PDF-1.7 annexe")
    builder = BundleBuilder.acte(ACTE_ID, genere_le=GENERE_LE)
    builder.add_acte_blob(store, await store.put_bytes(b"%PDF-1.7 acte"))
    assert builder.add_annexe("Pièce n°1.pdf", b"x") == "acte/annexes/1-Piece-n1.pdf"
    assert builder.add_annexe_blob("Pièce n°2.pdf", store, ref) == "acte/annexes/2-Piece-n2.pdf"
    with pytest.raises(ValueError, match="already"):
        builder.add_blob(fmt.ACTE, store, ref)
    with pytest.raises(ValueError, match="refused"):
        builder.add_blob(fmt.MANIFEST, store, ref)


async def test_an_altered_blob_yields_an_error_not_a_bundle(genuine: Built, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    builder = await _builder(genuine, store)
    acte = hashlib.sha256(files_of(genuine.bundle)[fmt.ACTE]).hexdigest()
    alter_blob(store, acte)
    with pytest.raises(PieceAlteree) as raised:
        await _written(builder)
    assert raised.value.chemin == fmt.ACTE
    assert raised.value.ref.sha256 == acte
    assert raised.value.status_code == 500


async def test_a_wrong_recorded_size_or_digest_is_refused(genuine: Built, tmp_path: Path) -> None:
    acte = files_of(genuine.bundle)[fmt.ACTE]
    digest = hashlib.sha256(acte).hexdigest()
    # The record says one byte less than the blob holds: what would be written is not what the
    # manifest lists.
    short = {fmt.ACTE: BlobRef(digest, len(acte) - 1)}
    with pytest.raises(PieceAlteree, match="taille"):
        await _written(await _builder(genuine, LocalBlobStore(tmp_path / "a"), short))
    longer = {fmt.ACTE: BlobRef(digest, len(acte) + 1)}
    with pytest.raises(PieceAlteree, match="taille"):
        await _written(await _builder(genuine, LocalBlobStore(tmp_path / "b"), longer))


class _LyingStore(LocalBlobStore):
    """A backend that would serve other bytes without noticing: the builder's own hash catches it."""

    async def open(self, sha256: str, *, verify: bool = False) -> AsyncIterator[bytes]:
        inner = await super().open(sha256, verify=False)

        async def flipped() -> AsyncIterator[bytes]:
            first = True
            async for chunk in inner:
                if first and chunk:
                    chunk, first = bytes([chunk[0] ^ 0x01]) + chunk[1:], False
                yield chunk

        return flipped()


async def test_the_builder_rehashes_whatever_the_store_serves(genuine: Built, tmp_path: Path) -> None:
    with pytest.raises(PieceAlteree, match="empreinte obtenue"):
        await _written(await _builder(genuine, _LyingStore(tmp_path / "blobs")))


async def test_a_missing_blob_is_not_found(genuine: Built, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    builder = await _builder(genuine, store)
    assert await store.delete(hashlib.sha256(files_of(genuine.bundle)[fmt.ACTE]).hexdigest())
    with pytest.raises(BlobNotFound):
        await _written(builder)


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import asyncio, hashlib, os, sys, tempfile, threading, time, zipfile
    from datetime import UTC, datetime
    from pathlib import Path

    from shared.blobs.base import BlobRef
    from shared.blobs.local import LocalBlobStore
    from shared.evidence import format as fmt
    from shared.evidence.bundle import BundleBuilder

    MB = 1024 * 1024

    def rss_kb():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

    class Peak(threading.Thread):  # the highest RSS sampled every millisecond while it runs

        def __init__(self):
            super().__init__(daemon=True)
            self.kb, self.stop = rss_kb(), threading.Event()

        def run(self):
            while not self.stop.is_set():
                self.kb = max(self.kb, rss_kb())
                time.sleep(0.001)

    async def create(store, size_mb):
        async def chunks():
            for _ in range(size_mb):
                yield os.urandom(MB)  # like a PDF's compressed streams: does not deflate

        ref = await store.put_stream(chunks(), max_bytes=size_mb * MB)
        print(ref.sha256, ref.size)

    async def bundle(store, root, ref, in_memory):
        builder = BundleBuilder.acte("acte-1", genere_le=datetime(2026, 3, 2, tzinfo=UTC))
        for path in (*fmt.JOURNAL, fmt.RECIT):
            builder.add_file(path, b"{}")
        out = tempfile.TemporaryFile(dir=root)
        before = rss_kb()
        peak = Peak()
        peak.start()
        if in_memory:  # the previous way: the acte read whole, the ZIP built in memory
            builder.add_acte(await store.read_bytes(ref.sha256))
            out.write(builder.build())
        else:
            builder.add_acte_blob(store, ref)
            await builder.write_to(out)
        peak.stop.set()
        peak.join()
        after = max(peak.kb, rss_kb())
        out.seek(0)
        with zipfile.ZipFile(out) as archive, archive.open(fmt.ACTE) as entry:
            check = hashlib.sha256()
            while block := entry.read(MB):
                check.update(block)
        assert check.hexdigest() == ref.sha256
        print((after - before) // 1024)

    root, mode = Path(sys.argv[1]), sys.argv[2]
    store = LocalBlobStore(root / "blobs")
    if mode == "creer":
        asyncio.run(create(store, int(sys.argv[3])))
    else:
        ref = BlobRef(sys.argv[3], int(sys.argv[4]))
        asyncio.run(bundle(store, root, ref, mode == "memoire"))
    """
)


def _run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def peak_growth_mb(root: Path, size_mb: int) -> tuple[int, int]:
    """Peak RSS growth (MB, sampled every millisecond over the RSS just before) of a fresh process
    writing the bundle of a `size_mb` acte (stored by an earlier process), streamed and the in-memory
    way."""
    sha256, size = _run(str(root), "creer", str(size_mb)).split()
    return (
        int(_run(str(root), "flux", sha256, size)),
        int(_run(str(root), "memoire", sha256, size)),
    )


def test_a_40_mb_acte_is_never_held_in_memory(tmp_path: Path) -> None:
    """Peak RSS growth of a process writing a 40 MB acte's bundle: a few MB when streamed; the
    in-memory way (the acte read whole, then the ZIP built in memory) is measured in the same run
    and must show the difference, so the bound is not met by accident."""
    streamed, in_memory = peak_growth_mb(tmp_path, 40)
    assert streamed < 12, f"streamed: +{streamed} MB (in memory: +{in_memory} MB)"
    assert in_memory >= 60, f"in memory: +{in_memory} MB, expected two to three times 40 MB"
