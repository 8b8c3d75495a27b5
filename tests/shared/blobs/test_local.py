"""What only the file backend promises: layout, read-only write-once files, temp directory hygiene."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from shared.blobs import IntegrityError, LocalBlobStore, local


async def test_layout_and_read_only_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    ref = await store.put_bytes(b"acte signe")

    path = tmp_path / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    assert store.path_for(ref.sha256) == path
    assert path.read_bytes() == b"acte signe"
    assert stat.S_IMODE(path.stat().st_mode) & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0


async def test_existing_blob_is_never_rewritten(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    ref = await store.put_bytes(b"same content")
    before = store.path_for(ref.sha256).stat()

    again = await store.put_bytes(b"same content")

    after = store.path_for(ref.sha256).stat()
    assert again == ref
    assert (after.st_ino, after.st_mtime_ns, after.st_nlink) == (before.st_ino, before.st_mtime_ns, 1)
    assert list((tmp_path / ".tmp").iterdir()) == []


async def test_each_directory_that_gained_an_entry_is_fsynced_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    real = local._fsync_dir

    def spy(path: Path) -> None:
        synced.append(path)
        real(path)

    monkeypatch.setattr(local, "_fsync_dir", spy)
    store = LocalBlobStore(tmp_path)
    ref = await store.put_bytes(b"premier acte")
    shard = store.path_for(ref.sha256).parent
    assert synced == [shard, shard.parent, tmp_path]  # new name, then the new shard directories

    synced.clear()
    await store.put_bytes(b"premier acte")  # already stored: nothing gains an entry
    assert synced == []


async def test_uploading_stored_content_checks_the_stored_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    ref = await store.put_bytes(b"acte original")
    path = store.path_for(ref.sha256)
    path.chmod(0o600)
    path.write_bytes(b"acte altere!!")

    with pytest.raises(IntegrityError):
        await store.put_bytes(b"acte original")

    assert path.read_bytes() == b"acte altere!!"  # evidence of the alteration is left for the audit
    assert list((tmp_path / ".tmp").iterdir()) == []


async def test_iter_all_ignores_temp_files_and_strays(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    ref = await store.put_bytes(b"listed")
    (tmp_path / ".tmp" / "upload-crashed.part").write_bytes(b"left by a crash")
    (store.path_for(ref.sha256).parent / "README").write_text("not a blob")

    assert [r async for r in store.iter_all()] == [ref]


async def test_iter_all_on_a_missing_root_is_empty(tmp_path: Path) -> None:
    assert [r async for r in LocalBlobStore(tmp_path / "absent").iter_all()] == []


async def test_delete_removes_the_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    ref = await store.put_bytes(b"to purge")

    assert await store.delete(ref.sha256) is True
    assert not store.path_for(ref.sha256).exists()
    assert not await store.exists(ref.sha256)


async def test_ping_fails_when_root_is_unusable(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_bytes(b"")
    with pytest.raises(OSError, match="file"):
        await LocalBlobStore(not_a_dir).ping()


def test_path_for_refuses_traversal(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex"):
        LocalBlobStore(tmp_path).path_for("../" + hashlib.sha256(b"").hexdigest()[3:])


async def test_open_checked_ends_in_alarm_when_the_file_changes_while_served(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = bytes(range(256)) * (3 * 4096 + 1)  # 3 MiB + 256 bytes: four chunks
    ref = await store.put_bytes(data)
    contenu = await store.open_checked(ref.sha256)
    premier = await contenu.__anext__()
    assert premier == data[: len(premier)]

    path = store.path_for(ref.sha256)
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    with path.open("r+b") as f:  # the same inode, written in place behind the store's back
        f.seek(len(data) - 1)
        f.write(b"\x00")

    with pytest.raises(IntegrityError, match="modifié pendant son envoi"):
        async for _ in contenu:
            pass
