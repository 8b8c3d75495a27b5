"""Step 4 of the verifier: the log (RFC 9162 proofs, C2SP signed checkpoints), offline.

1. the checkpoint `journal/checkpoint.txt` verifies with a key of `journal/cle.txt` (or the pinned
   log keys), a signature by the key named like its origin included;
2. each leaf of `journal/feuilles.json` is included, by its inclusion proof, in that checkpoint's tree;
3. `journal/checkpoint-dernier.txt` verifies with the same keys and has the same origin, and the
   consistency proof of `journal/coherence.json` shows the first tree is a prefix of the latest one.

The verified leaf data are kept in the context for step 5, which reads what they say.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from shared.evidence import format as fmt
from shared.evidence._context import Context, Failure
from shared.translog.checkpoint import Checkpoint, verify_checkpoint
from shared.translog.note import NoteError, Verifier
from shared.translog.rfc9162 import ProofError, leaf_hash, verify_consistency, verify_inclusion


def _b64(value: object, piece: str) -> bytes:
    try:
        if not isinstance(value, str):
            raise ValueError("not a string")
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Failure(piece, f"base64 attendu, trouvé {value!r}") from exc


def _checkpoint(ctx: Context, path: str, verifiers: list[Verifier]) -> Checkpoint:
    try:
        return verify_checkpoint(ctx.file(path), verifiers)
    except NoteError as exc:
        raise Failure(path, f"checkpoint non vérifié, signature ou format invalide ({exc})") from exc


def check_journal(ctx: Context) -> Iterator[tuple[str, str]]:
    keys = ctx.anchors.log_keys
    if keys is None:
        keys = tuple(
            line.strip() for line in ctx.file(fmt.CLE_JOURNAL).decode("utf-8", "replace").splitlines()
        )
    try:
        verifiers = [Verifier.from_vkey(key) for key in keys if key]
    except NoteError as exc:
        raise Failure(fmt.CLE_JOURNAL, f"clé de journal illisible : {exc}") from exc
    checkpoint = _checkpoint(ctx, fmt.CHECKPOINT, verifiers)
    names = ", ".join(f"{v.name}+{v.key_id:08x}" for v in verifiers)
    yield fmt.CHECKPOINT, f"signé par {names} ({checkpoint.origin}, taille {checkpoint.size})"
    try:
        items = fmt.json_value(ctx.file(fmt.FEUILLES), "contenu")
    except fmt.FormatError as exc:
        raise Failure(fmt.FEUILLES, str(exc)) from exc
    if not isinstance(items, list) or not items:
        raise Failure(fmt.FEUILLES, "liste de feuilles non vide attendue")
    for item in items:
        index = item.get("index") if isinstance(item, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or index in ctx.leaves:
            raise Failure(fmt.FEUILLES, f"feuille mal formée ou en double : {item!r}"[:200])
        piece = f"{fmt.FEUILLES} (feuille {index})"
        data = _b64(item.get("donnees"), piece)
        proof = item.get("preuve")
        if not isinstance(proof, list):
            raise Failure(piece, "preuve d'inclusion manquante")
        try:
            verify_inclusion(
                leaf_hash(data), index, checkpoint.size, [_b64(p, piece) for p in proof], checkpoint.root_hash
            )
        except ProofError as exc:
            raise Failure(piece, f"preuve d'inclusion invalide : {exc}") from exc
        ctx.leaves[index] = data
    yield fmt.FEUILLES, f"{len(items)} feuilles incluses dans l'arbre de taille {checkpoint.size}"
    latest = _checkpoint(ctx, fmt.CHECKPOINT_DERNIER, verifiers)
    if latest.origin != checkpoint.origin:
        raise Failure(fmt.CHECKPOINT_DERNIER, f"origine {latest.origin!r} ≠ {checkpoint.origin!r}")
    coherence = ctx.json(fmt.COHERENCE)
    if (coherence.get("ancienne"), coherence.get("nouvelle")) != (checkpoint.size, latest.size):
        raise Failure(fmt.COHERENCE, f"tailles attendues {checkpoint.size} → {latest.size}")
    hashes_ = coherence.get("preuve")
    if not isinstance(hashes_, list):
        raise Failure(fmt.COHERENCE, "preuve de cohérence manquante")
    try:
        verify_consistency(
            checkpoint.size,
            latest.size,
            [_b64(h, fmt.COHERENCE) for h in hashes_],
            checkpoint.root_hash,
            latest.root_hash,
        )
    except ProofError as exc:
        raise Failure(fmt.COHERENCE, f"preuve de cohérence invalide : {exc}") from exc
    yield fmt.CHECKPOINT_DERNIER, f"signé, taille {latest.size}"
    yield (
        fmt.COHERENCE,
        f"l'arbre de taille {checkpoint.size} est un préfixe de celui de taille {latest.size}",
    )
