"""The ZIP container of an evidence bundle: deterministic writing and defensive reading.

Threat model for reading: the bundle is attacker-controlled (it comes from a party to a dispute).
It is read in memory and never extracted, so hostile names cannot escape a directory; names must
still be plain relative paths (`format.is_safe_path`), unique, and no entry may be a directory, be
encrypted or exceed the size limits (a ZIP bomb declares small sizes and is cut off at them: Python's
zipfile reads no more than the declared size and then checks the CRC).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

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


def write_zip(files: Mapping[str, bytes], generated_at: datetime) -> bytes:
    """A deterministic ZIP: fixed order, every entry dated `generated_at` (UTC), mode 0644."""
    stamp = generated_at.astimezone(UTC)
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files, key=entry_order):
            info = zipfile.ZipInfo(path, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the mode below is honoured
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[path], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
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
