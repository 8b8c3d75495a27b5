"""Writing an evidence bundle (format in `shared.evidence.format`) from pieces already produced.

The builder takes bytes and plain metadata, never database rows: the coffre (acte bundles) and the
consent registry (declaration history for the judicial authority) gather their pieces, add them, and
`build()` returns the ZIP bytes with `manifest.json`, `SHA256SUMS` and `VERIFIER.md` computed.

Large pieces (the acte, its annexes: up to 50 MB) are added as references to blobs instead
(`add_acte_blob`, `add_annexe_blob`): their SHA-256 and size come from the blob's name and record,
so the manifest is computed before any of their bytes is read, and `write_to(file)` streams them
from the store into the ZIP in worker threads, re-hashed on the way. The bytes written under a
path always hash to the manifest's digest for it: on any mismatch (the store's `IntegrityError`, or
the builder's own hash or size check) `write_to` raises `PieceAlteree` (an `IntegrityError`) and
the caller discards the file. A bundle never holds a large piece whole in memory.

    builder = BundleBuilder.acte(acte_id, genere_le=now)
    builder.add_acte(pdf)
    builder.add_timestamp("depot", token.response, objet=format.ACTE)
    builder.set_tsa_chain(credentials.certificate, credentials.chain)
    builder.add_avis_reception(jws, pdf=sealed)
    builder.set_jwks(jwks_document)
    builder.set_journal(await extract_journal(session, log, indexes=..., checkpoint=..., latest=..., cle=...))
    builder.set_recit(Recit(...))
    zip_bytes = builder.build()                     # or: builder.add_acte_blob(store, ref) ...
                                                    #     await builder.write_to(temporary_file)

`build()` refuses an incomplete bundle (missing acte, story, journal, TSA chain for the tokens, keys
for a JWS, a timestamp whose object is not in the bundle): a bundle the verifier would reject for
its shape is a bug of the caller, raised as `ValueError`.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from anyio import to_thread
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from shared.blobs.base import BlobRef, BlobStore, IntegrityError
from shared.evidence import format as fmt
from shared.evidence.archive import FileEntry, ZipWriter, entry_order, render_sums, sha256_hex, write_zip
from shared.evidence.engagements import Ouverture
from shared.evidence.guide import render_guide
from shared.evidence.journal import JournalExtract, checkpoint_of
from shared.translog.rfc9162 import leaf_hash


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def safe_name(name: str) -> str:
    """A file name reduced to ASCII letters, digits, `.`, `_` and `-` (accents dropped)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = "".join(c if c.isalnum() or c in "._-" else "-" for c in ascii_name).strip(".-")
    return cleaned[:80] or "annexe"


class PieceAlteree(IntegrityError):
    """A blob piece's bytes do not match its reference: no bundle may be produced from them."""

    def __init__(self, chemin: str, ref: BlobRef, detail: str) -> None:
        super().__init__(f"{chemin} : le document {ref.sha256} ({ref.size} octets) est altéré : {detail}")
        self.chemin = chemin
        self.ref = ref


@dataclass(frozen=True)
class _BlobPiece:
    """A large piece by reference: its bytes are read (verified) only while the ZIP is written."""

    store: BlobStore
    ref: BlobRef


def _write_hashed(out: IO[bytes], hasher: hashlib._Hash, data: bytes) -> None:
    hasher.update(data)
    out.write(data)


class BundleBuilder:
    """Collects the pieces of one bundle; `build()` produces the ZIP bytes, `write_to` a ZIP file."""

    def __init__(self, type_: fmt.BundleType, sujet: str, *, genere_le: datetime) -> None:
        if type_ not in fmt.TYPES:
            raise ValueError(f"unknown bundle type {type_!r}")
        if not sujet:
            raise ValueError("a bundle needs a subject (acte id or declaration id)")
        if genere_le.tzinfo is None:
            raise ValueError("genere_le must be an aware datetime")
        self.type = type_
        self.sujet = sujet
        self.genere_le = genere_le
        self._files: dict[str, bytes] = {}
        self._blobs: dict[str, _BlobPiece] = {}
        self._annexes = 0
        self._journal: JournalExtract | None = None

    @classmethod
    def acte(cls, acte_id: str, *, genere_le: datetime) -> BundleBuilder:
        return cls("acte", acte_id, genere_le=genere_le)

    @classmethod
    def registre(cls, declaration_id: str, *, genere_le: datetime) -> BundleBuilder:
        return cls("registre", declaration_id, genere_le=genere_le)

    # --- pieces ---------------------------------------------------------------------------------------

    def _check_new_path(self, path: str) -> None:
        if not fmt.is_safe_path(path) or path in (fmt.MANIFEST, fmt.GUIDE, fmt.SUMS):
            raise ValueError(f"refused bundle path {path!r}")
        if path in self._files or path in self._blobs:
            raise ValueError(f"{path} is already in the bundle")

    def add_file(self, path: str, data: bytes) -> None:
        """Add any file under a safe path (the named helpers below are preferred)."""
        self._check_new_path(path)
        self._files[path] = bytes(data)

    def add_blob(self, path: str, store: BlobStore, ref: BlobRef) -> None:
        """Add the content of blob `ref` under `path`, read from `store` (verified) by `write_to`."""
        self._check_new_path(path)
        self._blobs[path] = _BlobPiece(store, ref)

    def add_json(self, path: str, value: Mapping[str, Any] | Sequence[Any]) -> None:
        self.add_file(path, fmt.pretty_json(value))

    def add_acte(self, document: bytes) -> None:
        self.add_file(fmt.ACTE, document)

    def add_acte_blob(self, store: BlobStore, ref: BlobRef) -> None:
        self.add_blob(fmt.ACTE, store, ref)

    def _annexe_path(self, nom: str) -> str:
        path = f"{fmt.ANNEXES}{self._annexes + 1}-{safe_name(nom)}"
        self._check_new_path(path)
        self._annexes += 1
        return path

    def add_annexe(self, nom: str, data: bytes) -> str:
        """Add an annexe as `acte/annexes/<n>-<nom>` (n from 1, in call order); return its path."""
        path = self._annexe_path(nom)
        self.add_file(path, data)
        return path

    def add_annexe_blob(self, nom: str, store: BlobStore, ref: BlobRef) -> str:
        """`add_annexe` with the content of blob `ref` (see `add_blob`)."""
        path = self._annexe_path(nom)
        self.add_blob(path, store, ref)
        return path

    def add_validation_report(self, rapport: Mapping[str, Any]) -> None:
        self.add_json(fmt.RAPPORT, rapport)

    def add_timestamp(
        self, nom: str, response: bytes, *, objet: str | None = None, sha256: bytes | None = None
    ) -> None:
        """A DER TimeStampResp over the SHA-256 of the bundle file `objet`, or over `sha256` itself."""
        if (objet is None) == (sha256 is None):
            raise ValueError("a timestamp is over exactly one of: a bundle file (objet) or a sha256")
        if not fmt.SAFE_NAME.fullmatch(nom):
            raise ValueError(f"refused timestamp name {nom!r}")
        meta: dict[str, str] = {"algorithme": "sha256"}
        if objet is not None:
            meta["objet"] = objet
        elif sha256 is not None:
            if len(sha256) != 32:
                raise ValueError("a SHA-256 digest is 32 bytes")
            meta["sha256"] = sha256.hex()
        self.add_file(f"{fmt.HORODATAGES}{nom}.tsr", response)
        self.add_json(f"{fmt.HORODATAGES}{nom}.json", meta)

    def set_tsa_chain(self, certificate: x509.Certificate, chain: Sequence[x509.Certificate]) -> None:
        """The TSA certificate and its issuers up to the root (root last, as in TsaCredentials)."""
        issuers = list(chain) or [certificate]
        tsa = [certificate, *issuers[:-1]]
        self.add_file(fmt.TSA_CERT, b"".join(c.public_bytes(Encoding.PEM) for c in tsa))
        self.add_file(fmt.TSA_RACINE, issuers[-1].public_bytes(Encoding.PEM))

    def add_avis_mise_a_disposition(self, record: Mapping[str, Any]) -> None:
        self.add_json(fmt.AVIS_MAD, record)

    def add_avis_reception(self, jws: str, *, pdf: bytes | None = None) -> None:
        self.add_file(fmt.AVIS_RECEPTION, jws.strip().encode("ascii") + b"\n")
        if pdf is not None:
            self.add_file(fmt.AVIS_RECEPTION_PDF, pdf)

    def add_certificat(self, pdf: bytes) -> None:
        self.add_file(fmt.CERTIFICAT, pdf)

    def add_lettre_simple(self, record: Mapping[str, Any]) -> None:
        self.add_json(fmt.LETTRE_SIMPLE, record)

    def set_jwks(self, jwks: Mapping[str, Any]) -> None:
        self.add_json(fmt.JWKS, jwks)

    def set_journal(self, extract: JournalExtract) -> None:
        old, new = checkpoint_of(extract.checkpoint), checkpoint_of(extract.latest)
        self.add_file(fmt.CLE_JOURNAL, extract.cle.strip().encode("utf-8") + b"\n")
        self.add_file(fmt.CHECKPOINT, extract.checkpoint.encode("utf-8"))
        leaves = [
            {"index": leaf.index, "donnees": _b64(leaf.data), "preuve": [_b64(h) for h in leaf.proof]}
            for leaf in sorted(extract.leaves, key=lambda leaf: leaf.index)
        ]
        self.add_json(fmt.FEUILLES, leaves)
        self.add_file(fmt.CHECKPOINT_DERNIER, extract.latest.encode("utf-8"))
        coherence = {
            "ancienne": old.size,
            "nouvelle": new.size,
            "preuve": [_b64(h) for h in extract.consistency],
        }
        self.add_json(fmt.COHERENCE, coherence)
        self._journal = extract

    def set_ouvertures(self, ouvertures: Sequence[tuple[int, Ouverture]]) -> None:
        """The openings of the bundle's own leaves' commitments, by leaf index (call after set_journal)."""
        extract = self._journal
        if extract is None:
            raise ValueError("set_journal must come before set_ouvertures")
        indexes = {leaf.index for leaf in extract.leaves}
        if any(index not in indexes for index, _ in ouvertures):
            raise ValueError("an opening names a leaf the bundle does not hold")
        if ouvertures:
            items = sorted(
                (o.to_json(index) for index, o in ouvertures), key=lambda o: (o["index"], o["sel"])
            )
            self.add_json(fmt.OUVERTURES, items)

    def set_recit(self, recit: fmt.Recit) -> None:
        self.add_json(fmt.RECIT, recit.to_json())

    def set_historique(self, declaration_id: str, entrees: Sequence[Mapping[str, Any]]) -> None:
        """The declaration's history; each entry names its leaf by "index" (call after set_journal).

        The entry's "feuille" (hex RFC 9162 leaf hash) is filled in from the journal extract.
        """
        extract = self._journal
        if extract is None:
            raise ValueError("set_journal must come before set_historique")
        hashes = {leaf.index: leaf_hash(leaf.data).hex() for leaf in extract.leaves}
        rows = []
        for entree in entrees:
            index = entree.get("index")
            if not isinstance(index, int) or index not in hashes:
                raise ValueError(f"history entry names no leaf of the extract: {index!r}")
            rows.append({**entree, "feuille": hashes[index]})
        self.add_json(fmt.HISTORIQUE, {"declaration_id": declaration_id, "entrees": rows})

    # --- output -------------------------------------------------------------------------------------

    def _check_complete(self) -> None:
        present = self._files.keys() | self._blobs.keys()
        required = [*fmt.JOURNAL, *((fmt.ACTE, fmt.RECIT) if self.type == "acte" else (fmt.HISTORIQUE,))]
        missing = [path for path in required if path not in present]
        if missing:
            raise ValueError(f"incomplete {self.type} bundle: missing {', '.join(missing)}")
        tokens = [p for p in self._files if p.startswith(fmt.HORODATAGES) and p.endswith(".tsr")]
        if tokens and fmt.TSA_RACINE not in self._files:
            raise ValueError("timestamp tokens need the TSA chain (set_tsa_chain)")
        for token in tokens:
            meta = fmt.json_object(self._files[token[:-4] + ".json"], token)
            if "objet" in meta and meta["objet"] not in present:
                raise ValueError(f"{token} timestamps {meta['objet']}, which is not in the bundle")
        if any(p.endswith(".jws") for p in self._files) and fmt.JWKS not in self._files:
            raise ValueError("a JWS needs the public keys (set_jwks)")

    def _small_files(self) -> dict[str, bytes]:
        """The in-memory pieces plus VERIFIER.md, SHA256SUMS and manifest.json (which also list the
        blob pieces, by their blob's digest and size)."""
        self._check_complete()
        files = dict(self._files)
        digests = {path: piece.ref.sha256 for path, piece in self._blobs.items()}
        files[fmt.GUIDE] = render_guide(
            files, type_=self.type, sujet=self.sujet, genere_le=self.genere_le, digests=digests
        )
        entries = [FileEntry(p, sha256_hex(d), len(d), fmt.role_of(p)) for p, d in files.items()]
        entries += [FileEntry(p, b.ref.sha256, b.ref.size, fmt.role_of(p)) for p, b in self._blobs.items()]
        files[fmt.SUMS] = render_sums(entries)
        entries.append(
            FileEntry(fmt.SUMS, sha256_hex(files[fmt.SUMS]), len(files[fmt.SUMS]), fmt.role_of(fmt.SUMS))
        )
        manifest = {
            "format": fmt.FORMAT,
            "type": self.type,
            "sujet": self.sujet,
            "genere_le": fmt.rfc3339_utc(self.genere_le),
            "fichiers": [e.to_json() for e in sorted(entries, key=lambda e: e.chemin)],
        }
        files[fmt.MANIFEST] = fmt.pretty_json(manifest)
        return files

    def build(self) -> bytes:
        """The ZIP bytes: the pieces plus VERIFIER.md, SHA256SUMS and manifest.json.

        Only for bundles without blob pieces (those are written by `write_to`)."""
        if self._blobs:
            raise ValueError("a bundle with blob pieces is written to a file (write_to), not built in memory")
        return write_zip(self._small_files(), self.genere_le)

    async def write_to(self, out: IO[bytes]) -> None:
        """Write the ZIP to `out` (a seekable binary file, at its start); the same bytes `build()`
        gives for the same content.

        Blob pieces are streamed from their store with verification and hashed again here; any
        mismatch with their reference raises `PieceAlteree` (an `IntegrityError`; a missing blob, the
        store's `BlobNotFound`): `out` then holds a partial ZIP, which the caller must discard.
        Blocking work (compression, hashing, writing) runs in worker threads.
        """
        files = self._small_files()
        writer = await to_thread.run_sync(ZipWriter, out, self.genere_le)
        complete = False
        try:
            for path in sorted(files.keys() | self._blobs.keys(), key=entry_order):
                if path in files:
                    await to_thread.run_sync(writer.add, path, files[path])
                else:
                    await self._write_blob(writer, path, self._blobs[path])
            await to_thread.run_sync(writer.close)
            complete = True
        finally:
            if not complete:
                writer.abandon()

    @staticmethod
    async def _write_blob(writer: ZipWriter, path: str, piece: _BlobPiece) -> None:
        ref = piece.ref
        chunks = await piece.store.open(ref.sha256, verify=True)
        entry = await to_thread.run_sync(writer.open_entry, path, ref.size)
        hasher = hashlib.sha256()
        size = 0
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > ref.size:
                    break
                await to_thread.run_sync(_write_hashed, entry, hasher, chunk)
        except IntegrityError as exc:
            raise PieceAlteree(path, ref, str(exc)) from exc
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
        if size != ref.size or hasher.hexdigest() != ref.sha256:
            raise PieceAlteree(path, ref, f"empreinte obtenue {hasher.hexdigest()}, taille {size}.")
        await to_thread.run_sync(entry.close)
