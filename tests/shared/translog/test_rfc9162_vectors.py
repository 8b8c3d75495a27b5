"""RFC 9162 hashing and proofs against the published vectors (transparency-dev/merkle, google/ct python)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from shared.translog import rfc9162
from shared.translog.rfc9162 import ProofError, verify_consistency, verify_inclusion
from tests.shared.translog.conftest import load_vectors

TREE = load_vectors("transparency-dev-merkle/tree.json")
INCLUSION = load_vectors("transparency-dev-merkle/inclusion.json")["probes"]
CONSISTENCY = load_vectors("transparency-dev-merkle/consistency.json")["probes"]
CT = load_vectors("ct-python/merkle_test.json")

LEAF_HASHES = [rfc9162.leaf_hash(bytes.fromhex(d)) for d in TREE["leaf_inputs"]]
LEVELS = rfc9162.complete_subtree_levels(LEAF_HASHES)


def _node(level: int, index: int) -> bytes:
    return LEVELS[level][index]


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _b64s(values: list[str] | None) -> list[bytes]:
    return [_b64(v) for v in values or []]


def test_vector_counts() -> None:
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98
    assert sum(not p["wantErr"] for p in INCLUSION) == 6
    assert sum(not p["wantErr"] for p in CONSISTENCY) == 6


@pytest.mark.parametrize("vector", TREE["hasher"], ids=lambda v: v["desc"])
def test_hasher(vector: dict[str, str]) -> None:
    if vector["kind"] == "empty":
        got = rfc9162.mth([])
    elif vector["kind"] == "leaf":
        got = rfc9162.leaf_hash(bytes.fromhex(vector["data"]))
    else:
        got = rfc9162.node_hash(bytes.fromhex(vector["left"]), bytes.fromhex(vector["right"]))
    assert got.hex() == vector["want"]


def test_ct_python_hasher() -> None:
    assert rfc9162.EMPTY_ROOT.hex() == CT["hasher"]["empty"]
    for leaf in CT["hasher"]["leaves"]:
        assert rfc9162.leaf_hash(bytes.fromhex(leaf["data"])).hex() == leaf["want"]
    for node in CT["hasher"]["nodes"]:
        assert (
            rfc9162.node_hash(bytes.fromhex(node["left"]), bytes.fromhex(node["right"])).hex() == node["want"]
        )


@pytest.mark.parametrize("size", range(9))
def test_roots_by_size(size: int) -> None:
    want = TREE["root_hashes_by_size"][size]
    assert rfc9162.mth(LEAF_HASHES[:size]).hex() == want
    assert rfc9162.root_from_nodes(size, _node).hex() == want
    if size:
        assert rfc9162.mth(LEAF_HASHES[:size]).hex() == CT["tree"]["roots_for_sizes_1_to_8"][size - 1]


def test_complete_subtree_hashes() -> None:
    assert [[h.hex() for h in level] for level in LEVELS] == TREE["node_hashes_by_level"]
    assert TREE["leaf_inputs"] == CT["tree"]["leaf_inputs"]


@pytest.mark.parametrize("probe", INCLUSION, ids=lambda p: p["source"].removeprefix("testdata/"))
def test_inclusion_probe(probe: dict[str, Any]) -> None:
    args = (
        _b64(probe["leafHash"]),
        probe["leafIdx"],
        probe["treeSize"],
        _b64s(probe["proof"]),
        _b64(probe["root"]),
    )
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("probe", CONSISTENCY, ids=lambda p: p["source"].removeprefix("testdata/"))
def test_consistency_probe(probe: dict[str, Any]) -> None:
    args = (probe["size1"], probe["size2"], _b64s(probe["proof"]), _b64(probe["root1"]), _b64(probe["root2"]))
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


@pytest.mark.parametrize(
    "probe",
    [p for p in INCLUSION if not p["wantErr"] and p["treeSize"] <= 8 and "/single-entry/" not in p["source"]],
)
def test_generated_inclusion_proof_equals_vector(probe: dict[str, Any]) -> None:
    assert _b64(probe["leafHash"]) == LEAF_HASHES[probe["leafIdx"]]
    assert rfc9162.inclusion_proof(probe["leafIdx"], probe["treeSize"], _node) == _b64s(probe["proof"])


@pytest.mark.parametrize(
    "probe", [p for p in CONSISTENCY if not p["wantErr"] and "/additional/" not in p["source"]]
)
def test_generated_consistency_proof_equals_vector(probe: dict[str, Any]) -> None:
    assert rfc9162.consistency_proof(probe["size1"], probe["size2"], _node) == _b64s(probe["proof"])
    assert _b64(probe["root2"]) == rfc9162.root_from_nodes(probe["size2"], _node)


@pytest.mark.parametrize("vector", CT["consistency"], ids=lambda v: v["desc"])
def test_ct_python_consistency(vector: dict[str, Any]) -> None:
    args = (
        vector["size1"],
        vector["size2"],
        [bytes.fromhex(h) for h in vector["proof"]],
        bytes.fromhex(vector["root1"]),
        bytes.fromhex(vector["root2"]),
    )
    if vector["want_err"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)
        assert rfc9162.consistency_proof(vector["size1"], vector["size2"], _node) == args[2]


def test_ct_python_real_audit_path() -> None:
    audit = CT["inclusion_audit_path"]
    leaf = rfc9162.leaf_hash(bytes.fromhex(audit["leaf_data"]))
    assert leaf.hex() == audit["leaf_hash"]
    path = [bytes.fromhex(h) for h in audit["audit_path"]]
    assert len(path) == 22 == rfc9162.inclusion_proof_length(audit["leaf_index"], audit["tree_size"])
    verify_inclusion(leaf, audit["leaf_index"], audit["tree_size"], path, bytes.fromhex(audit["root"]))
    # Any single flipped bit in the path breaks it.
    for i in range(len(path)):
        broken = [*path[:i], bytes([path[i][0] ^ 1]) + path[i][1:], *path[i + 1 :]]
        with pytest.raises(ProofError, match="does not match expected root"):
            verify_inclusion(
                leaf, audit["leaf_index"], audit["tree_size"], broken, bytes.fromhex(audit["root"])
            )


def test_inclusion_proof_cannot_see_a_same_shape_size_change() -> None:
    # The documented limit: size 3630888 has the same proof shape for leaf 848049, so only the root of
    # that other size (which differs in reality) would catch the lie.
    audit = CT["inclusion_audit_path"]
    leaf = bytes.fromhex(audit["leaf_hash"])
    path = [bytes.fromhex(h) for h in audit["audit_path"]]
    verify_inclusion(leaf, audit["leaf_index"], audit["tree_size"] + 1, path, bytes.fromhex(audit["root"]))


@pytest.mark.parametrize("vector", CT["inclusion_negative"], ids=lambda v: v["desc"])
def test_ct_python_inclusion_negative(vector: dict[str, Any]) -> None:
    args = (
        rfc9162.leaf_hash(bytes.fromhex(vector["leaf_data"])),
        vector["leaf_index"],
        vector["tree_size"],
        [bytes.fromhex(h) for h in vector["audit_path"]],
        bytes.fromhex(vector["root"]),
    )
    if vector["want_err"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)
