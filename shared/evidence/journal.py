"""The log part of a bundle: chosen leaves with inclusion proofs to one signed checkpoint, and a
consistency proof from that checkpoint to the latest one.

`JournalExtract` is plain data (what `BundleBuilder.set_journal` takes); `extract_journal` fills it
from a `shared.translog.store.TransparencyLog` inside the caller's session, so a service only has to
say which leaves belong to the acte (or declaration) and which checkpoints to use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shared.translog.checkpoint import Checkpoint
from shared.translog.note import parse_note
from shared.translog.store import TransparencyLog


@dataclass(frozen=True)
class LeafProof:
    """One leaf: its index, its data bytes and its inclusion proof to the bundle's checkpoint."""

    index: int
    data: bytes
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class JournalExtract:
    """Everything `journal/` holds. `cle` is one or more C2SP vkeys, one per line."""

    cle: str
    checkpoint: str
    leaves: tuple[LeafProof, ...]
    latest: str
    consistency: tuple[bytes, ...]


def checkpoint_of(note: str) -> Checkpoint:
    """The body of a signed checkpoint note, without verifying it (the verifier does that)."""
    text, _signatures = parse_note(note)
    return Checkpoint.parse(text)


async def extract_journal(
    session: AsyncSession,
    log: TransparencyLog,
    *,
    indexes: Iterable[int],
    checkpoint: str,
    latest: str,
    cle: str,
) -> JournalExtract:
    """Read the leaves `indexes` and their proofs to `checkpoint`, and the proof to `latest`.

    `checkpoint` must cover every index (size > max index) and `latest` must be at least as large.
    Indexes are those of integrated leaves (a leaf still queued has none: its row's index column is
    empty until the integration, `shared.translog.store`), so nothing pending can enter a bundle.
    The leaves are read in one query and their proofs' nodes in another (one more of each per 250 leaves).
    """
    wanted = sorted(set(indexes))
    size = checkpoint_of(checkpoint).size
    latest_size = checkpoint_of(latest).size
    if not wanted:
        raise ValueError("expected at least one leaf")
    if wanted[0] < 0 or wanted[-1] >= size:
        raise ValueError(f"checkpoint of size {size} does not cover leaf {wanted[-1]}")
    if latest_size < size:
        raise ValueError(f"latest checkpoint ({latest_size}) is older than the proofs' ({size})")
    stored = await log.leaves_at(session, wanted)
    proofs = await log.inclusion_proofs(session, wanted, size)
    leaves = [LeafProof(leaf.index, leaf.data, tuple(proofs[leaf.index])) for leaf in stored]
    consistency = await log.consistency_proof(session, size, latest_size) if latest_size != size else []
    return JournalExtract(
        cle=cle, checkpoint=checkpoint, leaves=tuple(leaves), latest=latest, consistency=tuple(consistency)
    )
