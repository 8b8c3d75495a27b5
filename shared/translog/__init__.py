"""Verifiable logs: RFC 9162 Merkle trees, C2SP signed notes and checkpoints, and a SQL-backed log store.

The pure parts (`rfc9162`, `compact`, `note`, `checkpoint`) need nothing but `hashlib` and
`cryptography`, so an offline verifier can use them without a database.
"""

from shared.translog.checkpoint import Checkpoint, CheckpointError, sign_checkpoint, verify_checkpoint
from shared.translog.note import Note, NoteError, SignatureError, Signer, Verifier, sign_note, verify_note
from shared.translog.rfc9162 import ProofError, leaf_hash, node_hash, verify_consistency, verify_inclusion

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "Note",
    "NoteError",
    "ProofError",
    "SignatureError",
    "Signer",
    "Verifier",
    "leaf_hash",
    "node_hash",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
]
