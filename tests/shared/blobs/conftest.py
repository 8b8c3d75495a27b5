"""One behavioural suite, two backends: every test taking `store` runs on local files and on S3."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.blobs import BlobStore, LocalBlobStore, S3BlobStore
from shared.testing.s3 import S3Server, moto_s3_server

LOCK_DAYS = 30
FIXED_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with moto_s3_server() as server:
        yield server


@dataclass
class Backend:
    """The store plus what the tests need to look behind it."""

    name: str
    store: BlobStore
    spool_dir: Path

    def leftover_temp_files(self) -> list[Path]:
        return sorted(p for p in self.spool_dir.rglob("*") if p.is_file())

    def tamper(self, sha256: str, data: bytes) -> None:
        """Alter a stored blob behind the store's back (a disk edit, a rogue bucket write)."""
        if isinstance(self.store, LocalBlobStore):
            path = self.store.path_for(sha256)
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
            path.write_bytes(data)
        else:
            assert isinstance(self.store, S3BlobStore)
            # A new version under the same key, written without our checksum: what an attacker
            # with bucket write access could do (compliance mode protects versions, not the key).
            self.store._client.put_object(Bucket=self.store.bucket, Key=self.store.key_for(sha256), Body=data)


@pytest.fixture(params=["local", "s3"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "local":
        root = tmp_path / "blobs"
        yield Backend("local", LocalBlobStore(root), root / ".tmp")
        return
    server: S3Server = request.getfixturevalue("s3_server")
    spool = tmp_path / "spool"
    spool.mkdir()
    settings = server.settings(server.new_bucket_name(), object_lock_days=LOCK_DAYS, spool_dir=spool)
    store = S3BlobStore(settings, now=lambda: FIXED_NOW)
    await store.ensure_bucket()
    yield Backend("s3", store, spool)


@pytest.fixture
def store(backend: Backend) -> BlobStore:
    return backend.store
