"""The offline verifier on a real bundle: it passes, then each piece is tampered with in turn and the
verifier must stop at the right step, naming the piece at fault."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.crypto.jws import JwsSigner, b64url_decode, b64url_encode, jwks
from shared.evidence import format as fmt
from shared.evidence.verify import Check, TrustAnchors, verify_bundle
from shared.translog.note import Signer
from tests.shared.evidence.helpers import (
    ACTE_ID,
    Built,
    edit_json,
    files_of,
    flip,
    flip_b64,
    forge,
    raw_replace,
)
from tests.shared.timestamps.helpers import make_credentials


def _failure(bundle: bytes, anchors: TrustAnchors | None = None) -> Check:
    report = verify_bundle(bundle, anchors=anchors)
    assert not report.ok
    failure = report.failure
    assert failure is not None
    assert report.checks[-1] is failure  # stopped at the first failure
    assert all(check.ok for check in report.checks[:-1])
    return failure


def test_a_genuine_bundle_passes_every_check(genuine: Built) -> None:
    seen: list[Check] = []
    report = verify_bundle(genuine.bundle, on_check=seen.append)
    assert report.ok, report.failure
    assert seen == report.checks
    assert [c.numero for c in report.checks] == sorted(c.numero for c in report.checks)
    assert {c.numero for c in report.checks} == {1, 2, 3, 4, 5, 6}
    pieces = {c.piece for c in report.checks}
    assert {
        fmt.MANIFEST,
        "horodatages/depot.tsr",
        fmt.AVIS_RECEPTION,
        fmt.CHECKPOINT,
        fmt.COHERENCE,
    } <= pieces
    assert str(report.checks[0]).startswith("OK     1. manifest.json : ")
    assert any("a_personne conforme à la règle du même jour" in c.message for c in report.checks)


def _resign_jws(token: str, signer: JwsSigner, change: dict[str, Any]) -> bytes:
    payload = json.loads(b64url_decode(token.strip().split(".")[1]))
    return (signer.sign({**payload, **change}) + "\n").encode()


def _flip_jws_signature(token: str) -> bytes:
    header, payload, signature = token.strip().split(".")
    return f"{header}.{payload}.{b64url_encode(flip(b64url_decode(signature), 10))}\n".encode()


def _flip_note_signature(note: bytes) -> bytes:
    text, _, line = note.decode().rstrip("\n").rpartition("\n")
    prefix, _, b64 = line.rpartition(" ")
    raw = base64.b64decode(b64)
    return f"{text}\n{prefix} {base64.b64encode(flip(raw, len(raw) - 1)).decode()}\n".encode()


def _first_proof(value: Any) -> None:
    value[0]["preuve"][0] = flip_b64(value[0]["preuve"][0])


def _first_consistency_hash(value: Any) -> None:
    value["preuve"][0] = flip_b64(value["preuve"][0])


def _recit(**change: str) -> Callable[[Any], None]:
    return lambda value: value.update(change)


def _drop_leaf(kind: str) -> Callable[[Any], None]:
    def edit(value: list[dict[str, Any]]) -> None:
        value[:] = [v for v in value if json.loads(base64.b64decode(v["donnees"]))["type"] != kind]

    return edit


Tamper = Callable[[Built, dict[str, bytes]], bytes]

TAMPERING: dict[str, tuple[Tamper, int, str, str]] = {
    # name: (tampering, step, piece named, words of the message)
    "acte, one byte": (
        lambda b, f: raw_replace(b.bundle, {fmt.ACTE: flip(f[fmt.ACTE], len(f[fmt.ACTE]) // 2)}),
        1,
        fmt.ACTE,
        "SHA-256 attendu",
    ),
    "acte, one byte, manifest recomputed": (
        lambda b, f: forge(b.bundle, {fmt.ACTE: flip(f[fmt.ACTE], len(f[fmt.ACTE]) // 2)}),
        2,
        "horodatages/depot.tsr",
        "n'est pas celle du document",
    ),
    "unlisted file": (
        lambda b, f: raw_replace(b.bundle, {"acte/annexes/9-ajout.pdf": b"%PDF-1.7"}),
        1,
        "acte/annexes/9-ajout.pdf",
        "absent du manifeste",
    ),
    "missing file": (
        lambda b, f: raw_replace(b.bundle, {fmt.CERTIFICAT: None}),
        1,
        fmt.CERTIFICAT,
        "absente",
    ),
    "timestamp token, last byte": (
        lambda b, f: forge(b.bundle, {"horodatages/depot.tsr": flip(f["horodatages/depot.tsr"], -1)}),
        2,
        "horodatages/depot.tsr",
        "signature du jeton d'horodatage est invalide",
    ),
    "TSA root swapped": (
        lambda b, f: forge(b.bundle, {fmt.TSA_RACINE: _pem(make_credentials().chain[0])}),
        2,
        "horodatages/checkpoint.tsr",
        "ne remonte pas",
    ),
    "avis JWS, one signature byte": (
        lambda b, f: forge(
            b.bundle, {fmt.AVIS_RECEPTION: _flip_jws_signature(f[fmt.AVIS_RECEPTION].decode())}
        ),
        3,
        fmt.AVIS_RECEPTION,
        "signature JWS invalide",
    ),
    "avis JWS by another key": (
        lambda b, f: forge(
            b.bundle,
            {
                fmt.AVIS_RECEPTION: _resign_jws(
                    f[fmt.AVIS_RECEPTION].decode(), JwsSigner(Ed25519PrivateKey.generate()), {}
                )
            },
        ),
        3,
        fmt.AVIS_RECEPTION,
        "clé inconnue",
    ),
    "avis JWS saying another instant": (
        lambda b, f: forge(
            b.bundle,
            {
                fmt.AVIS_RECEPTION: _resign_jws(
                    f[fmt.AVIS_RECEPTION].decode(), b.seal, {"pris_connaissance_le": "2026-03-03T08:00:00Z"}
                )
            },
        ),
        3,
        fmt.AVIS_RECEPTION,
        "pris_connaissance_le 2026-03-03T08:00:00Z, le récit dit",
    ),
    "inclusion proof, one hash byte": (
        lambda b, f: edit_json(b.bundle, fmt.FEUILLES, _first_proof),
        4,
        f"{fmt.FEUILLES} (feuille 3)",
        "preuve d'inclusion invalide",
    ),
    "checkpoint signature, one byte (its timestamp catches it first)": (
        lambda b, f: forge(b.bundle, {fmt.CHECKPOINT: _flip_note_signature(f[fmt.CHECKPOINT])}),
        2,
        "horodatages/checkpoint.tsr",
        "n'est pas celle du document",
    ),
    "checkpoint signature, one byte, its timestamp removed": (
        lambda b, f: forge(
            b.bundle,
            {
                fmt.CHECKPOINT: _flip_note_signature(f[fmt.CHECKPOINT]),
                "horodatages/checkpoint.tsr": None,
                "horodatages/checkpoint.json": None,
            },
        ),
        4,
        fmt.CHECKPOINT,
        "invalid signature",
    ),
    "latest checkpoint signature, one byte": (
        lambda b, f: forge(
            b.bundle, {fmt.CHECKPOINT_DERNIER: _flip_note_signature(f[fmt.CHECKPOINT_DERNIER])}
        ),
        4,
        fmt.CHECKPOINT_DERNIER,
        "invalid signature",
    ),
    "checkpoint signed by another key": (
        lambda b, f: forge(
            b.bundle, {fmt.CLE_JOURNAL: (Signer.generate(b.note_signer.name).verifier.vkey + "\n").encode()}
        ),
        4,
        fmt.CHECKPOINT,
        "non vérifié",
    ),
    "consistency proof, one hash byte": (
        lambda b, f: edit_json(b.bundle, fmt.COHERENCE, _first_consistency_hash),
        4,
        fmt.COHERENCE,
        "preuve de cohérence invalide",
    ),
    "story: sent before deposited": (
        lambda b, f: edit_json(b.bundle, fmt.RECIT, _recit(envoye_le="2026-03-02T09:00:00Z")),
        5,
        fmt.RECIT,
        "depose_le (2026-03-02T09:30:00.123456Z) est postérieur à envoye_le",
    ),
    "story: deposit moved, the log disagrees": (
        lambda b, f: edit_json(b.bundle, fmt.RECIT, _recit(depose_le="2026-03-02T09:29:00Z")),
        5,
        f"{fmt.FEUILLES} (feuille 3, depot)",
        "le récit dit 2026-03-02T09:29:00Z",
    ),
    "story: another acte": (
        lambda b, f: edit_json(b.bundle, fmt.RECIT, _recit(acte_id="acte-autre")),
        3,
        fmt.AVIS_RECEPTION,
        "acte_id",
    ),
    "log: the prise de connaissance leaf withheld": (
        lambda b, f: edit_json(b.bundle, fmt.FEUILLES, _drop_leaf("prise_connaissance")),
        5,
        fmt.FEUILLES,
        "aucune feuille prise_connaissance",
    ),
    "story: à domicile claimed for a same-day opening": (
        lambda b, f: edit_json(b.bundle, fmt.RECIT, _recit(mode="a_domicile")),
        5,
        f"{fmt.FEUILLES} (feuille 7, mode)",
        "mode 'a_personne', le récit dit 'a_domicile'",
    ),
}


def _pem(certificate: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return bytes(certificate.public_bytes(Encoding.PEM))


@pytest.mark.parametrize("name", TAMPERING)
def test_each_tampering_is_caught_and_named(genuine: Built, name: str) -> None:
    tamper, step, piece, words = TAMPERING[name]
    failure = _failure(tamper(genuine, files_of(genuine.bundle)))
    assert (failure.numero, failure.piece) == (step, piece), failure
    assert words in failure.message, failure
    assert str(failure).startswith(f"ÉCHEC  {step}. {piece} : ")


@pytest.mark.parametrize(
    ("bundle", "words"),
    [
        (b"not a zip", "archive ZIP illisible"),
        (b"PK\x05\x06" + b"\x00" * 18, "absente"),  # an empty ZIP: no manifest
    ],
)
def test_what_is_not_a_bundle_fails_step_one(bundle: bytes, words: str) -> None:
    failure = _failure(bundle)
    assert failure.numero == 1
    assert words in failure.message


def test_hostile_entry_names_are_refused(genuine: Built) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files_of(genuine.bundle).items():
            archive.writestr(path, data)
        archive.writestr("../../etc/evil", b"x")
    failure = _failure(buffer.getvalue())
    assert (failure.numero, failure.piece) == (1, "archive")
    assert "nom d'entrée refusé" in failure.message


def test_pinned_trust_anchors(genuine: Built) -> None:
    right = TrustAnchors(
        tsa_roots=(genuine.credentials.root,),
        log_keys=(genuine.note_signer.verifier.vkey,),
        jwks=jwks([genuine.seal.private_key.public_key()]),
    )
    report = verify_bundle(genuine.bundle, anchors=right)
    assert report.ok, report.failure
    assert any("fournie par le vérificateur" in c.message for c in report.checks)

    other_root = TrustAnchors(tsa_roots=make_credentials().chain)
    assert _failure(genuine.bundle, other_root).numero == 2
    other_log = TrustAnchors(log_keys=(Signer.generate(genuine.note_signer.name).verifier.vkey,))
    assert (_failure(genuine.bundle, other_log).piece) == fmt.CHECKPOINT
    other_seal = TrustAnchors(jwks=jwks([Ed25519PrivateKey.generate().public_key()]))
    assert (_failure(genuine.bundle, other_seal).piece) == fmt.AVIS_RECEPTION


def _with_manifest(bundle: bytes, **change: str) -> bytes:
    manifest = json.loads(files_of(bundle)[fmt.MANIFEST])
    manifest.update(change)
    return raw_replace(bundle, {fmt.MANIFEST: fmt.pretty_json(manifest)})


def test_the_manifest_subject_must_be_the_story_s_acte(genuine: Built) -> None:
    failure = _failure(_with_manifest(genuine.bundle, sujet="acte-autre"))
    assert (failure.numero, failure.piece) == (5, fmt.RECIT)
    assert f"acte_id {ACTE_ID!r} ≠ sujet du manifeste 'acte-autre'" in failure.message


def test_no_instant_of_the_story_after_the_bundle_was_generated(genuine: Built) -> None:
    failure = _failure(_with_manifest(genuine.bundle, genere_le="2026-03-02T10:00:00Z"))
    assert (failure.numero, failure.piece) == (5, fmt.RECIT)
    assert "pris_connaissance_le (2026-03-02T12:30:00.123456Z) est postérieur à genere_le" in failure.message
