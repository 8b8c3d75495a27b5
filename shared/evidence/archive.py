"""The ZIP container of an evidence bundle: deterministic writing and defensive reading.

Threat model for reading: the bundle is attacker-controlled (it comes from a party to a dispute).
It is read in memory and never extracted, so hostile names cannot escape a directory; names must
still be plain relative paths (`format.is_safe_path`), unique, and no entry may be a directory, be
encrypted or exceed the size limits (a ZIP bomb declares small sizes and is cut off at them: Python's
zipfile reads no more than the declared size and then checks the CRC).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from shared.evidence.format import MANIFEST, SUMS, FormatError, is_safe_path

MAX_ENTRIES = 10_000
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024


@dataclass(frozen=True)
class FileEntry:
    """One line of the manifest."""

    chemin: str
    sha256: str
    taille: int
    role: str

    def to_json(self) -> dict[str, str | int]:
        return {"chemin": self.chemin, "sha256": self.sha256, "taille": self.taille, "role": self.role}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render_sums(entries: list[FileEntry]) -> bytes:
    """`sha256sum` text-mode lines for every entry but SHA256SUMS itself, in path order."""
    lines = [f"{e.sha256}  {e.chemin}\n" for e in sorted(entries, key=lambda e: e.chemin) if e.chemin != SUMS]
    return "".join(lines).encode("ascii")


def entry_order(path: str) -> tuple[int, str]:
    """Manifest first, then the guide and the sums, then every path in byte order."""
    firsts = {MANIFEST: 0, "VERIFIER.md": 1, SUMS: 2}
    return (firsts.get(path, 3), path)


class ZipWriter:
    """A deterministic ZIP written entry by entry to a seekable binary file.

    Fixed order is the caller's job (`entry_order`); every entry is dated `generated_at` (UTC), mode
    0644, deflated at level 9. `add` writes an in-memory piece; `open_entry` returns a writable stream
    for a large piece whose size is known in advance (the header is the one `add` would write, so a
    streamed entry is byte for byte the same as the same content added whole).
    """

    def __init__(self, out: IO[bytes], generated_at: datetime) -> None:
        stamp = generated_at.astimezone(UTC)
        self._date_time = (
            max(stamp.year, 1980),
            stamp.month,
            stamp.day,
            stamp.hour,
            stamp.minute,
            stamp.second,
        )
        self._archive = zipfile.ZipFile(out, "w")
        self._entry: IO[bytes] | None = None

    def _info(self, path: str, size: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = 9  # type: ignore[attr-defined]  # what writestr(compresslevel=9) sets
        info.create_system = 3  # Unix, so that the mode below is honoured
        info.external_attr = 0o100644 << 16
        info.file_size = size
        return info

    def add(self, path: str, data: bytes) -> None:
        self._archive.writestr(self._info(path, len(data)), data)

    def open_entry(self, path: str, size: int) -> IO[bytes]:
        """A stream for `size` bytes at `path`; close it before the next entry."""
        self._entry = self._archive.open(self._info(path, size), "w")
        return self._entry

    def close(self) -> None:
        """Write the central directory (the output file stays open)."""
        self._archive.close()

    def abandon(self) -> None:
        """After a failure: release the archive without raising (the output is to be discarded)."""
        with contextlib.suppress(Exception):
            if self._entry is not None:
                self._entry.close()
        with contextlib.suppress(Exception):
            self._archive.close()


def write_zip(files: Mapping[str, bytes], generated_at: datetime) -> bytes:
    """A deterministic ZIP in memory: fixed order, every entry dated `generated_at` (UTC), mode 0644."""
    buffer = io.BytesIO()
    writer = ZipWriter(buffer, generated_at)
    for path in sorted(files, key=entry_order):
        writer.add(path, files[path])
    writer.close()
    return buffer.getvalue()


def read_zip(data: bytes) -> dict[str, bytes]:
    """Every entry of the ZIP by name; `FormatError` (in French) for anything suspicious."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise FormatError(f"archive ZIP illisible ({exc})") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise FormatError(f"au plus {MAX_ENTRIES} fichiers attendus, {len(infos)} trouvés")
        total = sum(info.file_size for info in infos)
        if total > MAX_TOTAL_BYTES:
            raise FormatError(f"taille décompressée totale excessive ({total} octets)")
        files: dict[str, bytes] = {}
        for info in infos:
            name = info.filename
            if info.is_dir() or not is_safe_path(name):
                raise FormatError(f"nom d'entrée refusé dans l'archive : {name!r}")
            if name in files:
                raise FormatError(f"entrée en double dans l'archive : {name}")
            if info.file_size > MAX_FILE_BYTES:
                raise FormatError(f"{name} : taille excessive ({info.file_size} octets)")
            try:
                files[name] = archive.read(info)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
                raise FormatError(f"{name} : entrée illisible ou corrompue ({exc})") from exc
    return files
