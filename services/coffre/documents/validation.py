"""`valider_acte`: every gate a deposited PDF acte must pass, in order, with bounded parsing.

Steps (the first failure stops validation and names the check):
 1. size: 0 < size <= `max_bytes` (413 `trop-volumineux` above; an empty file is `pdf-invalide`);
 2. document gates (`inspection`): PDF header, strict parse, not encrypted, PDF/A declared,
    no JavaScript / active actions / embedded executables  -> 422 `pdf-invalide`;
 3. signature gates (`signatures`): present, intact, cryptographically valid, certificate valid and
    chaining to the trust roots at `at`, signing time sane, whole file covered -> 422 `signature-invalide`.

Resource bounds: the validator does not load the file whole (pyHanko reads objects and signed ranges
from the file as it needs them); its SHA-256 is computed here unless the caller passes the digest it
computed over the same bytes (a content-addressed blob hashed while it was written). pyHanko runs in
a worker thread under `timeout_seconds` and stream-decoding limits (`DecodeLimits`: per stream, per
purpose, and a per-document budget) that stop decompression bombs; the object walk is capped by
`max_objects`. Python cannot kill a thread: after a timeout the request is refused at once and the
worker runs on until pyHanko finishes, still inside the decoding limits.
Every exception raised while parsing becomes `pdf-invalide` (or `signature-invalide` while reading a
signature): a malformed upload never produces a 500.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
from pyhanko.pdf_utils.misc import PdfDecodeLimitError

from shared.errors import TropVolumineux

from . import acceleration
from .errors import DocumentRefuse, PdfInvalide
from .inspection import (
    check_header,
    check_no_active_content,
    check_not_encrypted,
    open_strict,
    read_pdfa_declaration,
)
from .rapport import ModeRevocation, RapportValidation
from .signatures import plages_signees_hachees, verify_signatures

logger = logging.getLogger("signif.coffre.documents")

MIB = 1024 * 1024

TrustRoot = x509.Certificate | Path

acceleration.installer()  # two of pyHanko's per-document fixed costs, same results (see the module)


def default_decode_limits() -> DecodeLimits:
    """pyHanko's untrusted-input limits, with a document budget sized for actes rather than 100x input."""
    return DecodeLimits(
        per_stream=StreamDecodeLimits(max_output_size=64 * MIB),
        document_budget=DocumentDecodeBudget(base_allowance=128 * MIB, max_ratio=4),
    )


@dataclass(frozen=True)
class ValidationLimits:
    max_bytes: int = 64 * MIB
    timeout_seconds: float = 30.0
    max_objects: int = 200_000
    decode: DecodeLimits = field(default_factory=default_decode_limits)


async def valider_acte(
    path: Path,
    *,
    trust_roots: Sequence[TrustRoot],
    at: dt.datetime,
    limits: ValidationLimits | None = None,
    revocation: ModeRevocation = "soft-fail",
    sha256: str | None = None,
) -> RapportValidation:
    """Validate the PDF acte at `path` as of `at`.

    Raises `PdfInvalide`, `SignatureInvalide` (both 422) or `TropVolumineux` (413).

    `trust_roots` are certificates or PEM files (bundles allowed). `revocation` is pyHanko's mode:
    "soft-fail" (development default, no fetching) or "hard-fail" / "require" (production; fetches
    CRL/OCSP over the network).

    `sha256`: the file's SHA-256 when the caller has just computed it over these very bytes (the
    report then records it without a second pass over the file); otherwise it is computed here.
    """
    if at.utcoffset() is None:
        raise ValueError("at must be timezone-aware")
    limits = limits or ValidationLimits()
    roots = load_trust_roots(trust_roots)
    head = await asyncio.to_thread(_read_head, path, limits.max_bytes)
    check_header(head)
    work = asyncio.to_thread(_validate_sync, path, roots, at, limits, revocation, sha256)
    try:
        return await asyncio.wait_for(work, timeout=limits.timeout_seconds)
    except TimeoutError:
        raise PdfInvalide(
            f"Contrôle « delai » : l'analyse du PDF dépasse {limits.timeout_seconds:g} s ; document refusé.",
            controle="delai",
        ) from None


def load_trust_roots(trust_roots: Sequence[TrustRoot]) -> list[asn1_x509.Certificate]:
    certificates: list[x509.Certificate] = []
    for root in trust_roots:
        if isinstance(root, Path):
            certificates.extend(x509.load_pem_x509_certificates(root.read_bytes()))
        else:
            certificates.append(root)
    if not certificates:
        # pyHanko would otherwise fall back to the operating system's TLS roots.
        raise ValueError("no trust roots configured")
    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certificates]


def _read_head(path: Path, max_bytes: int) -> bytes:
    """Size bounds and the first bytes; the document itself is never read into memory whole."""
    size = path.stat().st_size
    if size > max_bytes:
        raise TropVolumineux(f"Contrôle « taille » : le document dépasse {max_bytes} octets.")
    if size == 0:
        raise PdfInvalide("Contrôle « format » : le fichier est vide.", controle="format")
    with path.open("rb") as fh:
        return fh.read(1024)


def _validate_sync(
    path: Path,
    roots: list[asn1_x509.Certificate],
    at: dt.datetime,
    limits: ValidationLimits,
    revocation: ModeRevocation,
    sha256: str | None,
) -> RapportValidation:
    # pyHanko reads the objects and the signed byte ranges from the file as it needs them, so a
    # 50 MB acte is validated without holding it in memory (the blob is write-once: the bytes
    # validated are the bytes stored and hashed).
    with path.open("rb") as fh:
        if sha256 is None:
            sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
            fh.seek(0)
        size = os.fstat(fh.fileno()).st_size
        return _validate_stream(fh, path, sha256, size, roots, at, limits, revocation)


def _validate_stream(
    fh: BinaryIO,
    path: Path,
    digest: str,
    size: int,
    roots: list[asn1_x509.Certificate],
    at: dt.datetime,
    limits: ValidationLimits,
    revocation: ModeRevocation,
) -> RapportValidation:
    try:
        reader = open_strict(fh, limits.decode)
        check_not_encrypted(reader)
        pdfa = read_pdfa_declaration(reader)
        with plages_signees_hachees(reader, path):  # signed ranges hashed meanwhile, off this thread
            check_no_active_content(reader, max_objects=limits.max_objects)
        signatures, report = asyncio.run(
            verify_signatures(reader, trust_roots=roots, at=at, revocation=revocation)
        )
    except DocumentRefuse:
        raise
    except PdfDecodeLimitError as exc:
        raise PdfInvalide(
            "Contrôle « decompression » : un flux compressé du PDF dépasse les limites de décompression.",
            controle="decompression",
        ) from exc
    except Exception as exc:
        logger.info("pdf refused: unexpected parse error", exc_info=True)
        raise PdfInvalide(
            f"Contrôle « structure » : le PDF est mal formé ({type(exc).__name__}).", controle="structure"
        ) from exc
    return RapportValidation(
        sha256=digest,
        taille=size,
        pdfa=pdfa,
        signatures=signatures,
        revocation=revocation,
        rapport_pyhanko=report,
        valide_le=at,
    )
