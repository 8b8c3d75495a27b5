"""What the verifier's steps share: the bundle being checked, the trust anchors, and the failure type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509

from shared.evidence.format import RECIT, FormatError, Recit, json_object


class Failure(Exception):
    """A check failed: `piece` names the file (and item) at fault, `message` says why, in French."""

    def __init__(self, piece: str, message: str) -> None:
        super().__init__(f"{piece} : {message}")
        self.piece = piece
        self.message = message


@dataclass(frozen=True)
class TrustAnchors:
    """Trust anchors obtained outside the bundle; each one given replaces the bundle's own.

    Without them the bundle is checked against the keys it carries, which proves it is internally
    consistent; pinning the platform's published keys proves it comes from the platform.
    """

    tsa_roots: tuple[x509.Certificate, ...] | None = None
    log_keys: tuple[str, ...] | None = None
    jwks: Mapping[str, Any] | None = None


@dataclass
class Context:
    data: bytes  # the ZIP as received
    anchors: TrustAnchors
    files: dict[str, bytes] = field(default_factory=dict)  # its entries, once step 1 has read them
    type: str = ""
    sujet: str = ""
    genere_le: datetime | None = None
    leaves: dict[int, bytes] = field(default_factory=dict)  # verified in step 4
    horodatages: dict[str, datetime] = field(default_factory=dict)  # objet -> genTime, from step 2
    _recit: Recit | None = None

    def file(self, path: str) -> bytes:
        if path not in self.files:
            raise Failure(path, "pièce absente du lot")
        return self.files[path]

    def json(self, path: str) -> dict[str, Any]:
        try:
            return json_object(self.file(path), "contenu")
        except FormatError as exc:
            raise Failure(path, str(exc)) from exc

    @property
    def recit(self) -> Recit:
        if self._recit is None:
            try:
                self._recit = Recit.from_json(self.json(RECIT))
            except FormatError as exc:
                raise Failure(RECIT, str(exc)) from exc
        return self._recit
