"""Writing an evidence bundle (format in `shared.evidence.format`) from pieces already produced.

The builder takes bytes and plain metadata, never database rows: the coffre (acte bundles) and the
consent registry (declaration history for the judicial authority) gather their pieces, add them, and
`build()` returns the ZIP bytes with `manifest.json`, `SHA256SUMS` and `VERIFIER.md` computed.

    builder = BundleBuilder.acte(acte_id, genere_le=now)
    builder.add_acte(pdf)
    builder.add_timestamp("depot", token.response, objet=format.ACTE)
    builder.set_tsa_chain(credentials.certificate, credentials.chain)
    builder.add_avis_reception(jws, pdf=sealed)
    builder.set_jwks(jwks_document)
    builder.set_journal(await extract_journal(session, log, indexes=..., checkpoint=..., latest=..., cle=...))
    builder.set_recit(Recit(...))
    zip_bytes = builder.build()

`build()` refuses an incomplete bundle (missing acte, story, journal, TSA chain for the tokens, keys
for a JWS, a timestamp whose object is not in the bundle): a bundle the verifier would reject for
its shape is a bug of the caller, raised as `ValueError`.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from shared.evidence import format as fmt
from shared.evidence.archive import FileEntry, render_sums, sha256_hex, write_zip
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


class BundleBuilder:
    """Collects the pieces of one bundle; `build()` produces the ZIP bytes."""

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
        self._annexes = 0
        self._journal: JournalExtract | None = None

    @classmethod
    def acte(cls, acte_id: str, *, genere_le: datetime) -> BundleBuilder:
        return cls("acte", acte_id, genere_le=genere_le)

    @classmethod
    def registre(cls, declaration_id: str, *, genere_le: datetime) -> BundleBuilder:
        return cls("registre", declaration_id, genere_le=genere_le)

    # --- pieces ---------------------------------------------------------------------------------------

    def add_file(self, path: str, data: bytes) -> None:
        """Add any file under a safe path (the named helpers below are preferred)."""
        if not fmt.is_safe_path(path) or path in (fmt.MANIFEST, fmt.GUIDE, fmt.SUMS):
            raise ValueError(f"refused bundle path {path!r}")
        if path in self._files:
            raise ValueError(f"{path} is already in the bundle")
        self._files[path] = bytes(data)

    def add_json(self, path: str, value: Mapping[str, Any] | Sequence[Any]) -> None:
        self.add_file(path, fmt.pretty_json(value))

    def add_acte(self, document: bytes) -> None:
        self.add_file(fmt.ACTE, document)

    def add_annexe(self, nom: str, data: bytes) -> str:
        """Add an annexe as `acte/annexes/<n>-<nom>` (n from 1, in call order); return its path."""
        self._annexes += 1
        path = f"{fmt.ANNEXES}{self._annexes}-{safe_name(nom)}"
        self.add_file(path, data)
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
        required = [*fmt.JOURNAL, *((fmt.ACTE, fmt.RECIT) if self.type == "acte" else (fmt.HISTORIQUE,))]
        missing = [path for path in required if path not in self._files]
        if missing:
            raise ValueError(f"incomplete {self.type} bundle: missing {', '.join(missing)}")
        tokens = [p for p in self._files if p.startswith(fmt.HORODATAGES) and p.endswith(".tsr")]
        if tokens and fmt.TSA_RACINE not in self._files:
            raise ValueError("timestamp tokens need the TSA chain (set_tsa_chain)")
        for token in tokens:
            meta = fmt.json_object(self._files[token[:-4] + ".json"], token)
            if "objet" in meta and meta["objet"] not in self._files:
                raise ValueError(f"{token} timestamps {meta['objet']}, which is not in the bundle")
        if any(p.endswith(".jws") for p in self._files) and fmt.JWKS not in self._files:
            raise ValueError("a JWS needs the public keys (set_jwks)")

    def build(self) -> bytes:
        """The ZIP bytes: the pieces plus VERIFIER.md, SHA256SUMS and manifest.json."""
        self._check_complete()
        files = dict(self._files)
        files[fmt.GUIDE] = render_guide(files, type_=self.type, sujet=self.sujet, genere_le=self.genere_le)
        entries = [FileEntry(p, sha256_hex(d), len(d), fmt.role_of(p)) for p, d in files.items()]
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
        return write_zip(files, self.genere_le)
