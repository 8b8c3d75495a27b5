"""PAdES signing of a PDF acte with pyHanko, and the `signif dev sign` command behind it.

The signature is PAdES baseline B-B: SubFilter ETSI.CAdES.detached, SHA-256, the signing time in the
signature dictionary (/M), appended as an incremental update in a new invisible field so earlier
revisions (and earlier signatures) stay byte-for-byte intact. The output passes `valider_acte` when
the signer's root is among the trust roots, provided the input declares PDF/A and has no active
content (signing does not make a document PDF/A).

This is a development and test tool: production actes are signed by the commissaire's own qualified
signature device, never by the platform.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.validation import EmbeddedPdfSignature

from shared.devpki import dev_signer


class _PdfSignerAt(signers.PdfSigner):
    """A PdfSigner whose signing time is fixed instead of read from the system clock."""

    def __init__(self, meta: signers.PdfSignatureMetadata, signer: signers.Signer, at: dt.datetime) -> None:
        super().__init__(meta, signer)
        self._at = at

    def init_signing_session(
        self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session: PdfSigningSession = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._at
        return session


def signer_pdf_octets(data: bytes, signer: signers.Signer, *, at: dt.datetime | None = None) -> bytes:
    """Return `data` with one more PAdES signature by `signer`, made at `at` (default: now, UTC).

    Synchronous: it runs its own event loop, so async code must use `signer_pdf_octets_async`.
    """
    return asyncio.run(signer_pdf_octets_async(data, signer, at=at))


async def signer_pdf_octets_async(
    data: bytes, signer: signers.Signer, *, at: dt.datetime | None = None
) -> bytes:
    """`signer_pdf_octets` for async callers (hashing runs on the event loop: keep documents small)."""
    at = at or dt.datetime.now(dt.UTC)
    if at.utcoffset() is None:
        raise ValueError("at must be timezone-aware")
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    existing = {sig.field_name for sig in _signatures(writer)}
    field_name = next(f"Signature{i}" for i in range(1, len(existing) + 2) if f"Signature{i}" not in existing)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="Signification électronique",
    )
    output = io.BytesIO()
    await _PdfSignerAt(meta, signer, at).async_sign_pdf(writer, output=output)
    return output.getvalue()


def signer_pdf(input: Path, output: Path, signer: signers.Signer, *, at: dt.datetime | None = None) -> None:
    """Sign the PDF at `input` and write the result to `output` (atomically: temp file + rename)."""
    signed = signer_pdf_octets(input.read_bytes(), signer, at=at)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    tmp.write_bytes(signed)
    os.replace(tmp, output)


def dev_sign(input: Path, output: Path, var_dir: Path) -> None:
    """`signif dev sign --in acte.pdf --out acte-signe.pdf`: sign with the embedded deployment's demo
    commissaire certificate (development CA under `<var_dir>/keys/devpki/`, created if missing)."""
    signer_pdf(input, output, dev_signer(var_dir))


def _signatures(writer: IncrementalPdfFileWriter) -> list[EmbeddedPdfSignature]:
    signatures: list[EmbeddedPdfSignature] = writer.prev.embedded_signatures
    return signatures
