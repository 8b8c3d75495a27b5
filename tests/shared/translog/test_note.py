"""C2SP signed notes: the spec's examples, the Go sumdb vectors, and strict parsing."""

from __future__ import annotations

import base64

import pytest

from shared.translog.note import (
    MAX_SIGNATURES,
    NoteError,
    SignatureError,
    Signer,
    Verifier,
    key_id,
    parse_note,
    sign_note,
    verify_note,
)
from tests.shared.translog.conftest import load_vectors

C2SP = load_vectors("c2sp/signed-note-examples.json")
GO = load_vectors("go-sumdb/notes.json")["go_note_example"]


def test_c2sp_example_verifies() -> None:
    example = C2SP["signed_note_example"]
    verifier = Verifier.from_vkey(example["vkey"])
    assert verifier.name == "example.com/foo"
    assert verifier.key_id == 0x530D903A
    assert verifier.vkey == example["vkey"]
    note = verify_note(example["note"], [verifier])
    assert note.text == "This is an example message.\n"
    assert [(s.name, s.key_id) for s in note.signatures] == [("example.com/foo", 0x530D903A)]
    assert note.unverified == ()


@pytest.mark.parametrize("which", ["signed_note_intro_example", "checkpoint_example"])
def test_c2sp_parse_only_examples(which: str) -> None:
    note = C2SP[which]["note"]
    text, signatures = parse_note(note)
    assert note.startswith(text)
    assert len(signatures) == 1
    assert len(signatures[0].signature) == 64
    # No published key: an unrelated trusted key leaves it unverified, so it is refused.
    with pytest.raises(SignatureError, match="expected a signature by a trusted key"):
        verify_note(note, [Verifier.from_vkey(C2SP["signed_note_example"]["vkey"])])


def test_intro_example_text_keeps_inner_blank_line() -> None:
    text, signatures = parse_note(C2SP["signed_note_intro_example"]["note"])
    assert (
        text == "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    )
    assert signatures[0].name == "quasimodo.example/salvatore"


def test_go_signer_reproduces_the_note_byte_for_byte() -> None:
    signer = Signer.from_skey(GO["skey"])
    assert signer.skey == GO["skey"]
    assert signer.verifier.vkey == GO["vkey"]
    assert signer.key_id == 0xC74F20A3
    signed = sign_note(GO["text"], signer)
    assert signed.encode("utf-8") == GO["note"].encode("utf-8")
    note = verify_note(signed.encode("utf-8"), [Verifier.from_vkey(GO["vkey"])])
    assert note.text == GO["text"]


def test_signer_never_shows_its_key() -> None:
    signer = Signer.from_skey(GO["skey"])
    seed_b64 = GO["skey"].rsplit("+", 1)[1]
    assert seed_b64 not in repr(signer)
    assert "redacted" in repr(signer)


def test_generated_key_round_trip() -> None:
    signer = Signer.generate("signif.example/journal")
    again = Signer.from_skey(signer.skey)
    assert again.verifier == signer.verifier
    assert Verifier.from_vkey(signer.verifier.vkey) == signer.verifier
    assert signer.key_id == key_id(signer.name, signer.verifier.public_key)


def test_unknown_keys_are_ignored_and_known_ones_required() -> None:
    log, witness, stranger = (
        Signer.generate(n) for n in ("log.example", "witness.example", "stranger.example")
    )
    signed = sign_note("hello\n", stranger, log, witness)
    note = verify_note(signed, [log.verifier])
    assert [s.name for s in note.signatures] == ["log.example"]
    assert {s.name for s in note.unverified} == {"stranger.example", "witness.example"}
    both = verify_note(signed, [log.verifier, witness.verifier])
    assert [s.name for s in both.signatures] == ["log.example", "witness.example"]
    with pytest.raises(SignatureError):
        verify_note(signed, [Signer.generate("log.example").verifier])  # same name, other key: unknown


def test_a_bad_signature_from_a_known_key_rejects_the_note() -> None:
    log, witness = Signer.generate("log.example"), Signer.generate("witness.example")
    good = sign_note("hello\n", log)
    forged = sign_note("hello\n", log, witness).replace(
        good.split(" ")[-1], base64.b64encode(log.key_id.to_bytes(4, "big") + bytes(64)).decode() + "\n"
    )
    with pytest.raises(SignatureError, match=r"invalid signature by trusted key log\.example\+"):
        verify_note(forged, [log.verifier, witness.verifier])


def test_tampered_text_fails() -> None:
    signer = Signer.from_skey(GO["skey"])
    tampered = GO["note"].replace("cryptography", "cryptographY")
    with pytest.raises(SignatureError):
        verify_note(tampered, [signer.verifier])


def test_ambiguous_verifiers_are_refused() -> None:
    a = Verifier.from_vkey(GO["vkey"])
    b = Verifier(a.name, a.key_id, bytes(32))
    with pytest.raises(NoteError, match="ambiguous"):
        verify_note(GO["note"], [a, b])
    assert verify_note(GO["note"], [a, a]).text == GO["text"]


SIG_LINE = GO["note"].split("\n\n")[1]


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (GO["text"] + SIG_LINE, "blank line"),
        (GO["note"].rstrip("\n"), "ending with a newline"),
        (GO["text"] + "\n" + SIG_LINE.replace("— ", "-- "), "starting with '— '"),
        (GO["text"] + "\n" + SIG_LINE.replace("— PeterNeumann", "— Peter Neumann"), "standard base64"),
        (GO["text"] + "\n" + SIG_LINE.replace("— PeterNeumann ", "—  PeterNeumann "), "key name"),
        (GO["text"] + "\n" + SIG_LINE.replace("=\n", "\n"), "base64"),
        (GO["text"] + "\n" + SIG_LINE.replace("AM=", "AN="), "canonical base64"),
        (GO["text"] + "\n— PeterNeumann AQID\n", "expected a key ID and a signature"),
        ("If you think\tcryptography\n\n" + SIG_LINE, "control characters"),
        (GO["note"] + "\n", "signature lines ending with a newline"),
        (GO["text"] + "\n" + SIG_LINE * (MAX_SIGNATURES + 1), f"at most {MAX_SIGNATURES} signatures"),
        ("\ud800\n\n" + SIG_LINE, "UTF-8"),
    ],
    ids=[
        "no-blank-line",
        "no-final-newline",
        "ascii-dash",
        "space-in-name",
        "empty-name",
        "bad-padding",
        "non-canonical-base64",
        "short-signature",
        "tab",
        "trailing-blank-line",
        "too-many-signatures",
        "surrogate",
    ],
)
def test_malformed_notes(note: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        verify_note(note, [Verifier.from_vkey(GO["vkey"])])


def test_invalid_utf8_bytes() -> None:
    with pytest.raises(NoteError, match="UTF-8"):
        parse_note(GO["note"].encode("utf-8").replace(b"If", b"\xff"))


def test_sixteen_signatures_are_accepted() -> None:
    signers = [Signer.generate(f"witness{i}.example") for i in range(16)]
    signed = sign_note("checkpoint\n", *signers)
    assert len(verify_note(signed, [s.verifier for s in signers]).signatures) == 16


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        (GO["vkey"].replace("c74f20a3", "c74f20a4"), "expected key ID c74f20a3"),
        (GO["vkey"].replace("+c74f20a3", "+c74f20a"), "8-digit hex key ID"),
        (GO["vkey"] + "+x", "standard base64"),
        ("PeterNeumann", "expected a verifier key"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
        (GO["vkey"].replace("+ARpc", "+AhpC"), "algorithm byte 0x01 in the verifier key, got 02"),
        (GO["vkey"][:-4], "32-byte Ed25519 key in the verifier key, got 29 bytes"),
        (GO["vkey"].replace("PeterNeumann", "Peter Neumann"), "key name"),
    ],
    ids=["wrong-id", "short-id", "extra-part", "no-parts", "empty-name", "wrong-alg", "short-key", "space"],
)
def test_malformed_verifier_keys(vkey: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        Verifier.from_vkey(vkey)


@pytest.mark.parametrize(
    ("skey", "message"),
    [
        (GO["skey"].replace("c74f20a3", "00000000"), "expected key ID c74f20a3"),
        (GO["skey"].replace("PRIVATE+KEY+", "PRIVATE+"), "expected a signer key"),
        (GO["vkey"], "expected a signer key"),
        (GO["skey"].replace("+AYEK", "+AoEK"), "algorithm byte 0x01 in the signer key, got 02"),
    ],
    ids=["wrong-id", "no-prefix", "a-verifier-key", "wrong-alg"],
)
def test_malformed_signer_keys(skey: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        Signer.from_skey(skey)


def test_sign_refuses_bad_text() -> None:
    signer = Signer.from_skey(GO["skey"])
    with pytest.raises(NoteError, match="end with a newline"):
        sign_note("no newline", signer)
    with pytest.raises(NoteError, match="control characters"):
        sign_note("bell\a\n", signer)
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note("hello\n")
    with pytest.raises(NoteError, match="key name"):
        Signer.generate("a+b")
