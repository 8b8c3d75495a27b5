"""Blobs as files: `root/ab/cd/<sha256>`, written once, read-only, crash-safe.

Layout: the first two and next two hex digits shard the directories (at 10 million actes a year no
directory grows past a few hundred entries). Uploads are spooled to `root/.tmp/` on the same
filesystem, fsynced, made read-only, then published with `link(2)`, which is atomic and, unlike
`rename(2)`, never replaces an existing file: a blob, once visible, is never overwritten, even by two
concurrent uploads of the same content. The directory is fsynced after the link so the name survives a
crash. Temp files are removed on every failure, including cancellation; a crash can only leave a stray
file under `.tmp/`, never a partial blob under its final name. Uploading content that is already
stored re-hashes the stored file (`IntegrityError` if it was altered), so when `put_stream` returns,
the file under the returned name holds exactly the bytes just received: callers may rely on that
name without reading the file again.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import stat
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from pathlib import Path

from anyio import to_thread

from shared.blobs._streaming import CHUNK_SIZE, read_chunks, spool
from shared.blobs.base import (
    BlobNotFound,
    BlobRef,
    BlobStore,
    CheckedContent,
    IntegrityError,
    check_sha256,
    check_size,
    is_sha256,
)

_TMP_DIR = ".tmp"
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _makedirs(path: Path, stop: Path) -> list[Path]:
    """Create `path` and its missing parents below `stop`; return the parents that gained an entry."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != stop:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir()
    return [directory.parent for directory in missing]


def _link_once(temp: Path, final: Path) -> bool:
    """Give `temp` the name `final` unless that name exists (kept untouched); True if linked."""
    try:
        os.link(temp, final)
    except FileExistsError:
        return False
    except OSError as exc:
        # Filesystems without hard links: fall back to rename, still refusing to replace.
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if final.exists():
            return False
        os.rename(temp, final)
    return True


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._tmp = self.root / _TMP_DIR
        self._tmp_ready = False

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path_for(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _ensure_tmp(self) -> None:
        if not self._tmp_ready:
            self._tmp.mkdir(parents=True, exist_ok=True)
            self._tmp_ready = True

    def _publish(self, temp: Path, ref: BlobRef) -> None:
        final = self.path_for(ref.sha256)
        os.chmod(temp, _READ_ONLY)
        # Each directory that gained an entry (the new name's, then the parents of the shard
        # directories just created) is fsynced once, after all the entries exist: the first fsync
        # commits the whole batch, the others find little left to do. The content was fsynced
        # before, so whatever a crash leaves visible under the final name is complete.
        gained = _makedirs(final.parent, self.root)
        if _link_once(temp, final):
            gained.insert(0, final.parent)
        for directory in gained:
            _fsync_dir(directory)

    async def put_stream(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> BlobRef:
        await to_thread.run_sync(self._ensure_tmp)
        # mkstemp runs inline (one quick syscall) so that no cancellation can land between the
        # creation of the file and the `try` that guarantees its removal.
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix="upload-", suffix=".part")
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                ref = await spool(chunks, out, max_bytes=max_bytes, fsync=True)
            if await to_thread.run_sync(self.path_for(ref.sha256).exists):
                # Same content already stored: it is kept, but only once checked, so that an
                # altered file never silently absorbs (and loses) a good upload.
                await self.verify(ref.sha256)
            else:
                await to_thread.run_sync(self._publish, temp, ref)
        finally:
            # Also on cancellation: unlink is one quick syscall, done inline so it cannot be skipped.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        return ref

    def _stat(self, sha256: str) -> os.stat_result:
        try:
            return self.path_for(sha256).stat()
        except FileNotFoundError:
            raise BlobNotFound(f"Aucun document d'empreinte {sha256}.") from None

    async def open(self, sha256: str, *, verify: bool = False) -> AsyncIterator[bytes]:
        st = await to_thread.run_sync(self._stat, sha256)
        return self._iterate(sha256, verify=verify, expected_size=st.st_size)

    async def _iterate(self, sha256: str, *, verify: bool, expected_size: int) -> AsyncIterator[bytes]:
        try:
            f = await to_thread.run_sync(self.path_for(sha256).open, "rb")
        except FileNotFoundError:
            raise BlobNotFound(f"Aucun document d'empreinte {sha256}.") from None
        try:
            async for chunk in read_chunks(f.read, sha256=sha256, verify=verify, expected_size=expected_size):
                yield chunk
        finally:
            f.close()

    async def open_checked(self, sha256: str, *, size: int | None = None) -> CheckedContent:
        """Hash the file whole, then serve the same open file without hashing it again.

        The file is opened once: the check and the serving read the same inode, whatever happens to
        the blob's name meanwhile. Any change to that inode after the check (a write, a truncation,
        even a chmod or a link removed) changes its `ctime`, which no system call can set back: the
        serving ends with `IntegrityError` if `fstat` differs from what it was when the hash matched.
        """
        try:
            f = await to_thread.run_sync(self.path_for(sha256).open, "rb", 0)
        except FileNotFoundError:
            raise BlobNotFound(f"Aucun document d'empreinte {sha256}.") from None
        try:
            checked = await to_thread.run_sync(_hash_open_file, f)
        except BaseException:
            f.close()
            raise
        digest, st = checked
        ref = BlobRef(sha256, st.st_size)
        try:
            if digest != sha256:
                raise IntegrityError(f"Le document {sha256} est altéré : empreinte obtenue {digest}.")
            check_size(ref, size)
        except IntegrityError:
            f.close()
            raise
        return CheckedContent(ref, _serve_checked(f, sha256, st), f.close)

    async def exists(self, sha256: str) -> bool:
        return await to_thread.run_sync(self.path_for(sha256).is_file)

    async def size(self, sha256: str) -> int:
        return (await to_thread.run_sync(self._stat, sha256)).st_size

    def _delete(self, sha256: str) -> bool:
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    async def delete(self, sha256: str) -> bool:
        return await to_thread.run_sync(self._delete, sha256)

    def _ping(self) -> None:
        self._ensure_tmp()
        if not os.access(self._tmp, os.W_OK | os.X_OK) or not os.access(self.root, os.R_OK | os.X_OK):
            raise PermissionError(f"blob store {self.root} is not readable and writable")

    async def ping(self) -> None:
        await to_thread.run_sync(self._ping)

    def _shard_dirs(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(
            inner
            for outer in self.root.iterdir()
            if outer.is_dir() and outer.name != _TMP_DIR
            for inner in outer.iterdir()
            if inner.is_dir()
        )

    @staticmethod
    def _list_shard(shard: Path) -> list[BlobRef]:
        return [_ref_of(entry) for entry in _scan(shard)]

    async def iter_all(self) -> AsyncIterator[BlobRef]:
        for shard in await to_thread.run_sync(self._shard_dirs):
            for ref in await to_thread.run_sync(self._list_shard, shard):
                yield ref


def _fingerprint(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _hash_open_file(f: io.FileIO) -> tuple[str, os.stat_result]:
    """SHA-256 of the whole open file and its `fstat`, unchanged from before to after the reading."""
    before = os.fstat(f.fileno())
    digest = hashlib.file_digest(f, "sha256").hexdigest()
    after = os.fstat(f.fileno())
    if _fingerprint(before) != _fingerprint(after):
        raise IntegrityError("Le document a été modifié pendant sa vérification.")
    return digest, after


async def _serve_checked(f: io.FileIO, sha256: str, checked: os.stat_result) -> AsyncIterator[bytes]:
    fd, offset = f.fileno(), 0
    try:
        while offset < checked.st_size:
            chunk = await to_thread.run_sync(os.pread, fd, CHUNK_SIZE, offset)
            if not chunk:
                break
            offset += len(chunk)
            yield chunk
        if offset != checked.st_size or _fingerprint(os.fstat(fd)) != _fingerprint(checked):
            raise IntegrityError(f"Le document {sha256} a été modifié pendant son envoi.")
    finally:
        f.close()


def _scan(shard: Path) -> Iterator[os.DirEntry[str]]:
    with os.scandir(shard) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False) and is_sha256(entry.name):
                yield entry


def _ref_of(entry: os.DirEntry[str]) -> BlobRef:
    return BlobRef(entry.name, entry.stat(follow_symlinks=False).st_size)
