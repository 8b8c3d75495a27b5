"""C2SP tlog-checkpoint bodies, and signed checkpoints (real sum.golang.org tree heads included)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from shared.translog import rfc9162
from shared.translog.checkpoint import Checkpoint, CheckpointError, sign_checkpoint, verify_checkpoint
from shared.translog.note import SignatureError, Signer, Verifier, sign_note
from tests.shared.translog.conftest import load_vectors

C2SP = load_vectors("c2sp/signed-note-examples.json")["checkpoint_example"]
SUMDB = load_vectors("go-sumdb/notes.json")["sumdb_checkpoints"]
ROOT = rfc9162.leaf_hash(b"root")


def test_c2sp_example_body() -> None:
    text = C2SP["note"].split("\n\n")[0] + "\n"
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.origin == C2SP["origin"]
    assert checkpoint.size == C2SP["size"]
    assert base64.b64encode(checkpoint.root_hash).decode() == C2SP["root_b64"]
    assert checkpoint.extensions == ()
    assert checkpoint.to_text() == text


@pytest.mark.parametrize("entry", SUMDB["checkpoints"], ids=lambda e: str(e["size"]))
def test_sumdb_checkpoints_verify_without_origin_key(entry: dict[str, Any]) -> None:
    verifier = Verifier.from_vkey(SUMDB["vkey"])
    checkpoint = verify_checkpoint(entry["note"], [verifier], require_origin_key=False)
    assert checkpoint.origin == "go.sum database tree"
    assert checkpoint.size == entry["size"]
    assert len(checkpoint.root_hash) == 32
    with pytest.raises(SignatureError, match=r"origin's key 'go\.sum database tree'"):
        verify_checkpoint(entry["note"], [verifier])


def test_sumdb_checkpoint_with_a_changed_size_fails() -> None:
    entry = SUMDB["checkpoints"][0]
    forged = entry["note"].replace(f"\n{entry['size']}\n", f"\n{entry['size'] + 1}\n")
    with pytest.raises(SignatureError):
        verify_checkpoint(forged, [Verifier.from_vkey(SUMDB["vkey"])], require_origin_key=False)


def test_sign_and_verify_round_trip_with_extensions() -> None:
    signer = Signer.generate("signif.example/repertoire")
    checkpoint = Checkpoint("signif.example/repertoire", 42, ROOT, ("extension one", "two"))
    note = sign_checkpoint(checkpoint, signer)
    root = base64.b64encode(ROOT).decode()
    assert note.startswith(f"signif.example/repertoire\n42\n{root}\nextension one\ntwo\n\n— signif.example/")
    assert verify_checkpoint(note, [signer.verifier]) == checkpoint


def test_a_witness_signature_alone_is_not_the_log() -> None:
    log, witness = Signer.generate("signif.example/log"), Signer.generate("witness.example")
    note = sign_note(Checkpoint("signif.example/log", 1, ROOT).to_text(), log, witness)
    assert verify_checkpoint(note, [log.verifier, witness.verifier]).size == 1
    with pytest.raises(SignatureError, match="origin's key"):
        verify_checkpoint(note, [witness.verifier])
    assert verify_checkpoint(note, [witness.verifier], require_origin_key=False).size == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("origin\n01\n{root}\n", "without leading zeros"),
        ("origin\n+1\n{root}\n", "without leading zeros"),
        ("origin\n 1\n{root}\n", "without leading zeros"),
        ("origin\n١\n{root}\n", "without leading zeros"),
        ("origin\n1_0\n{root}\n", "without leading zeros"),
        ("origin\n18446744073709551616\n{root}\n", "tree size in"),
        ("origin\n1\n", "at least 3 lines"),
        ("origin\n1\n{root}", "end with a newline"),
        ("origin\n1\n{root}\n\n", "non-empty one-line extensions"),
        ("\n1\n{root}\n", "non-empty one-line origin"),
        ("origin\n1\n{root}x\n", "base64 root hash"),
        ("origin\n1\nAAAA\n", "32-byte root hash"),
        ("origin\n1\n{noncanonical}\n", "canonical base64"),
    ],
)
def test_malformed_bodies(text: str, message: str) -> None:
    root = base64.b64encode(ROOT).decode()
    noncanonical = root[:-2] + chr(ord(root[-2]) + 1) + "="
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(text.format(root=root, noncanonical=noncanonical))


def test_zero_size_and_max_size_parse() -> None:
    empty = Checkpoint.parse(f"o\n0\n{base64.b64encode(rfc9162.EMPTY_ROOT).decode()}\n")
    assert empty.size == 0
    assert Checkpoint.parse(f"o\n{2**64 - 1}\n{base64.b64encode(ROOT).decode()}\n").size == 2**64 - 1
