"""Offline verification of an evidence bundle (`signif verify`): pure, no network, no database.

The checks run in order and stop at the first failure; each prints one line per piece checked,
`OK` or `ÉCHEC`, with the piece's path:

1. manifest: the ZIP is sound, `manifest.json` follows the format, every listed file is present with
   its SHA-256 and size, no file is unlisted, `SHA256SUMS` says the same;
2. every RFC 3161 token verifies (`shared.timestamps.verify`) against the SHA-256 of its object and
   the bundled TSA chain (an acte bundle must timestamp `acte/document.pdf`);
3. every JWS verifies against `cles/jwks.json` (`shared.crypto.jws`) and its payload agrees with the
   story (acte id, sha256, instants);
4. the checkpoint is signed by the key of `journal/cle.txt`, every leaf's inclusion proof leads to its
   root, and the consistency proof leads from it to the latest checkpoint, itself signed
   (`shared.evidence.journal_check`);
5. the story is coherent (`shared.evidence.story`);
6. the PDF signatures: the acte's PAdES signature against the bundled trust roots at the deposit
   instant, every platform-sealed PDF against the bundled seal certificate (`shared.evidence.pades`).

Threat model: the bundle is hostile until proven otherwise. By default it is checked against the
trust anchors it carries, which proves internal consistency only; `TrustAnchors` pins the
platform's published TSA root, log key and seal keys, and the OK lines print fingerprints to compare.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from shared.crypto.jws import InvalidJwsError
from shared.crypto.jws import verify as verify_jws
from shared.evidence import format as fmt
from shared.evidence._context import Context, Failure, TrustAnchors
from shared.evidence.archive import FileEntry, read_zip, render_sums, sha256_hex
from shared.evidence.journal_check import check_journal
from shared.evidence.pades import check_pdf_signatures
from shared.evidence.story import check_story, compare_instant
from shared.timestamps.verify import TimestampVerificationError, verify_timestamp

__all__ = ["Check", "Report", "TrustAnchors", "verify_bundle"]

_HEX64 = re.compile(r"[0-9a-f]{64}")

Step = Callable[[Context], Iterator[tuple[str, str]]]


@dataclass(frozen=True)
class Check:
    numero: int
    ok: bool
    piece: str
    message: str

    def __str__(self) -> str:
        return f"{'OK' if self.ok else 'ÉCHEC':<6} {self.numero}. {self.piece} : {self.message}"


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    complete: bool = False

    @property
    def ok(self) -> bool:
        return self.complete and all(check.ok for check in self.checks)

    @property
    def failure(self) -> Check | None:
        return next((check for check in self.checks if not check.ok), None)


def verify_bundle(
    data: bytes, *, anchors: TrustAnchors | None = None, on_check: Callable[[Check], None] | None = None
) -> Report:
    """Run every check on the ZIP bytes; `on_check` sees each line as it is decided."""
    report = Report()
    ctx = Context(data=data, anchors=anchors or TrustAnchors())
    steps: tuple[Step, ...] = (
        _manifest,
        _timestamps,
        _signatures,
        check_journal,
        check_story,
        check_pdf_signatures,
    )
    for numero, step in enumerate(steps, start=1):
        try:
            for piece, message in step(ctx):
                _emit(report, Check(numero, True, piece, message), on_check)
        except Failure as failure:
            _emit(report, Check(numero, False, failure.piece, failure.message), on_check)
            return report
    report.complete = True
    return report


def _emit(report: Report, check: Check, on_check: Callable[[Check], None] | None) -> None:
    report.checks.append(check)
    if on_check is not None:
        on_check(check)


# --- 1. manifest ----------------------------------------------------------------------------------


def _manifest_entries(manifest: Mapping[str, Any]) -> list[FileEntry]:
    if manifest.get("format") != fmt.FORMAT:
        raise Failure(fmt.MANIFEST, f"format {fmt.FORMAT} attendu, trouvé {manifest.get('format')!r}")
    if manifest.get("type") not in fmt.TYPES:
        raise Failure(fmt.MANIFEST, f"type acte ou registre attendu, trouvé {manifest.get('type')!r}")
    if not isinstance(manifest.get("sujet"), str) or not manifest["sujet"]:
        raise Failure(fmt.MANIFEST, "sujet (identifiant de l'acte ou de la déclaration) manquant")
    listed = manifest.get("fichiers")
    if not isinstance(listed, list):
        raise Failure(fmt.MANIFEST, "liste « fichiers » manquante")
    entries: dict[str, FileEntry] = {}
    for item in listed:
        if not isinstance(item, dict):
            raise Failure(fmt.MANIFEST, "entrée de « fichiers » mal formée")
        path, digest, size = item.get("chemin"), item.get("sha256"), item.get("taille")
        if not isinstance(path, str) or not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise Failure(fmt.MANIFEST, f"entrée mal formée (chemin, sha256) : {item!r}")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise Failure(fmt.MANIFEST, f"{path} : taille mal formée")
        if path in entries or path == fmt.MANIFEST:
            raise Failure(fmt.MANIFEST, f"{path} listé deux fois ou interdit")
        entries[path] = FileEntry(path, digest, size, str(item.get("role", "")))
    return list(entries.values())


def _manifest(ctx: Context) -> Iterator[tuple[str, str]]:
    try:
        files = read_zip(ctx.data)
    except fmt.FormatError as exc:
        raise Failure("archive", str(exc)) from exc
    ctx.files = files
    manifest = ctx.json(fmt.MANIFEST)
    entries = _manifest_entries(manifest)
    try:
        ctx.genere_le = fmt.parse_instant(manifest.get("genere_le"), "genere_le")
    except fmt.FormatError as exc:
        raise Failure(fmt.MANIFEST, str(exc)) from exc
    ctx.type, ctx.sujet = manifest["type"], manifest["sujet"]
    for entry in entries:
        data = ctx.file(entry.chemin)
        if len(data) != entry.taille:
            raise Failure(entry.chemin, f"taille attendue {entry.taille} octets, trouvé {len(data)}")
        if sha256_hex(data) != entry.sha256:
            raise Failure(entry.chemin, f"SHA-256 attendu {entry.sha256}, calculé {sha256_hex(data)}")
    unlisted = sorted(set(files) - {e.chemin for e in entries} - {fmt.MANIFEST})
    if unlisted:
        raise Failure(unlisted[0], "fichier présent dans l'archive mais absent du manifeste")
    required = [fmt.GUIDE, fmt.SUMS, *fmt.JOURNAL]
    required += [fmt.ACTE, fmt.RECIT] if ctx.type == "acte" else [fmt.HISTORIQUE]
    for path in required:
        ctx.file(path)
    if ctx.file(fmt.SUMS) != render_sums(entries):
        raise Failure(fmt.SUMS, "ne correspond pas aux empreintes du manifeste")
    yield (
        fmt.MANIFEST,
        f"{len(entries)} fichiers présents, SHA-256 et tailles conformes, aucun fichier en trop",
    )
    yield fmt.MANIFEST, f"empreinte du lot (SHA-256 de manifest.json) : {sha256_hex(files[fmt.MANIFEST])}"


# --- 2. timestamps --------------------------------------------------------------------------------


def _certificates(ctx: Context, path: str) -> list[x509.Certificate]:
    try:
        return list(x509.load_pem_x509_certificates(ctx.file(path)))
    except ValueError as exc:
        raise Failure(path, f"certificats PEM illisibles ({exc})") from exc


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def _timestamp_digest(ctx: Context, token: str) -> tuple[bytes, str]:
    meta_path = token[:-4] + ".json"
    meta = ctx.json(meta_path)
    if meta.get("algorithme") != "sha256" or ("objet" in meta) == ("sha256" in meta):
        raise Failure(
            meta_path, "« algorithme »: sha256 et exactement un de « objet » ou « sha256 » attendus"
        )
    if "objet" in meta:
        objet = meta["objet"]
        if not isinstance(objet, str) or objet not in ctx.files or objet == fmt.MANIFEST:
            raise Failure(meta_path, f"objet horodaté absent du lot : {objet!r}")
        return hashlib.sha256(ctx.files[objet]).digest(), objet
    if not isinstance(meta["sha256"], str) or not _HEX64.fullmatch(meta["sha256"]):
        raise Failure(meta_path, "sha256 : 64 chiffres hexadécimaux minuscules attendus")
    return bytes.fromhex(meta["sha256"]), f"sha256 {meta['sha256']}"


def _timestamps(ctx: Context) -> Iterator[tuple[str, str]]:
    tokens = sorted(p for p in ctx.files if p.startswith(fmt.HORODATAGES) and p.endswith(".tsr"))
    for meta in (p for p in ctx.files if p.startswith(fmt.HORODATAGES) and p.endswith(".json")):
        if meta[:-5] + ".tsr" not in ctx.files:
            raise Failure(meta, "description d'un jeton absent")
    if not tokens:
        if ctx.type == "acte":
            raise Failure(fmt.ACTE, "aucun jeton d'horodatage de l'acte dans le lot")
        yield fmt.HORODATAGES, "aucun jeton d'horodatage dans ce lot"
        return
    if ctx.anchors.tsa_roots is not None:
        roots, origin = list(ctx.anchors.tsa_roots), "fournie par le vérificateur"
    else:
        roots, origin = _certificates(ctx, fmt.TSA_RACINE), f"de {fmt.TSA_RACINE}, à comparer avec la publiée"
    intermediates = _certificates(ctx, fmt.TSA_CERT) if fmt.TSA_CERT in ctx.files else []
    for root in roots:
        fingerprint = root.fingerprint(hashes.SHA256()).hex()
        yield fmt.TSA_RACINE, f"racine « {_common_name(root)} » ({origin}), SHA-256 {fingerprint}"
    objets = set()
    for token in tokens:
        digest, objet = _timestamp_digest(ctx, token)
        try:
            verified = verify_timestamp(
                ctx.files[token], digest, trust_roots=roots, intermediates=intermediates
            )
        except TimestampVerificationError as exc:
            raise Failure(token, f"jeton invalide pour {objet} : {exc}") from exc
        objets.add(objet)
        ctx.horodatages[objet] = verified.gen_time
        when = fmt.rfc3339_utc(verified.gen_time)
        yield token, f"horodatage valide de {objet} le {when} par {verified.token.tsa_name}"
    if ctx.type == "acte" and fmt.ACTE not in objets:
        raise Failure(fmt.ACTE, "aucun jeton d'horodatage ne porte sur l'acte")


# --- 3. signatures --------------------------------------------------------------------------------

_RECIT_FIELDS = ("acte_id", "sha256", "declaration_id")
_RECIT_INSTANTS = ("depose_le", "envoye_le", "pris_connaissance_le")


def _agrees(ctx: Context, path: str, payload: Mapping[str, Any]) -> None:
    if ctx.type == "registre":
        if payload.get("declaration_id", ctx.sujet) != ctx.sujet:
            raise Failure(path, f"declaration_id {payload.get('declaration_id')!r} ≠ sujet {ctx.sujet!r}")
        return
    recit = ctx.recit
    required = (
        ("acte_id", "sha256", "pris_connaissance_le") if path == fmt.AVIS_RECEPTION else ("acte_id", "sha256")
    )
    for key in required:
        if key not in payload:
            raise Failure(path, f"le contenu signé ne porte pas de champ {key}")
    for key in _RECIT_FIELDS:
        if key in payload and payload[key] != getattr(recit, key):
            raise Failure(path, f"{key} signé {payload[key]!r}, le récit dit {getattr(recit, key)!r}")
    for key in _RECIT_INSTANTS:
        if key in payload:
            compare_instant(path, key, payload[key], getattr(recit, key))


def _signatures(ctx: Context) -> Iterator[tuple[str, str]]:
    signed = sorted(p for p in ctx.files if p.endswith(".jws"))
    if not signed:
        yield "signatures", "aucune signature JWS dans ce lot"
        return
    jwks = ctx.anchors.jwks if ctx.anchors.jwks is not None else ctx.json(fmt.JWKS)
    for path in signed:
        try:
            verified = verify_jws(ctx.files[path].decode("ascii").strip(), jwks)
            payload = verified.json()
        except (InvalidJwsError, UnicodeDecodeError) as exc:
            raise Failure(path, "signature JWS invalide ou clé inconnue de cles/jwks.json") from exc
        _agrees(ctx, path, payload)
        yield path, f"signature EdDSA valide (clé {verified.kid}), contenu conforme au récit"
