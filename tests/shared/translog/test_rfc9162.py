"""RFC 9162 proof generation against verification, on every shape of tree up to 40 leaves."""

from __future__ import annotations

import pytest

from shared.translog import compact, rfc9162
from shared.translog.rfc9162 import ProofError, verify_consistency, verify_inclusion

N = 40
LEAVES = [rfc9162.leaf_hash(f"leaf {i}".encode()) for i in range(N)]
LEVELS = rfc9162.complete_subtree_levels(LEAVES)
ROOTS = [rfc9162.mth(LEAVES[:n]) for n in range(N + 1)]


def _node(level: int, index: int) -> bytes:
    return LEVELS[level][index]


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    return [*proof[:i], bytes([proof[i][0] ^ 0x80]) + proof[i][1:], *proof[i + 1 :]]


@pytest.mark.parametrize("size", range(1, N + 1))
def test_inclusion_every_leaf(size: int) -> None:
    root = rfc9162.root_from_nodes(size, _node)
    assert root == ROOTS[size]
    for index in range(size):
        proof = rfc9162.inclusion_proof(index, size, _node)
        assert len(proof) == rfc9162.inclusion_proof_length(index, size)
        verify_inclusion(LEAVES[index], index, size, proof, root)
        for i in range(len(proof)):
            with pytest.raises(ProofError):
                verify_inclusion(LEAVES[index], index, size, _flip(proof, i), root)
        if size > 1:
            other = (index + 1) % size
            with pytest.raises(ProofError):
                verify_inclusion(LEAVES[other], index, size, proof, root)
            with pytest.raises(ProofError):
                verify_inclusion(LEAVES[index], other, size, proof, root)


@pytest.mark.parametrize("new", range(1, N + 1))
def test_consistency_every_pair(new: int) -> None:
    for old in range(1, new + 1):
        proof = rfc9162.consistency_proof(old, new, _node)
        assert len(proof) == rfc9162.consistency_proof_length(old, new)
        verify_consistency(old, new, proof, ROOTS[old], ROOTS[new])
        if old == new:
            assert proof == []
            continue
        for i in range(len(proof)):
            with pytest.raises(ProofError):
                verify_consistency(old, new, _flip(proof, i), ROOTS[old], ROOTS[new])
        with pytest.raises(ProofError):
            verify_consistency(old, new, proof, ROOTS[old - 1], ROOTS[new])
        with pytest.raises(ProofError):
            verify_consistency(old, new, proof[:-1], ROOTS[old], ROOTS[new])


class _Recorder:
    def __init__(self) -> None:
        self.asked: set[rfc9162.NodeId] = set()

    def __call__(self, level: int, index: int) -> bytes:
        self.asked.add((level, index))
        return LEVELS[level][index]


def test_nodes_needed_are_the_nodes_asked_for() -> None:
    for size in range(1, N + 1):
        for index in range(size):
            recorder = _Recorder()
            rfc9162.inclusion_proof(index, size, recorder)
            assert recorder.asked == set(rfc9162.inclusion_nodes(index, size))
            assert len(recorder.asked) <= 2 * size.bit_length()
        for old in range(1, size):
            recorder = _Recorder()
            rfc9162.consistency_proof(old, size, recorder)
            assert recorder.asked == set(rfc9162.consistency_nodes(old, size))
        recorder = _Recorder()
        rfc9162.root_from_nodes(size, recorder)
        assert recorder.asked == set(rfc9162.root_nodes(size))


@pytest.mark.parametrize(
    ("index", "size"), [(0, 0), (1, 1), (-1, 4), (4, 4)], ids=["empty", "past-end", "negative", "at-size"]
)
def test_inclusion_refused(index: int, size: int) -> None:
    with pytest.raises(ProofError, match=r"expected a leaf index in \[0, "):
        rfc9162.inclusion_proof(index, size, _node)


@pytest.mark.parametrize(("old", "new"), [(0, 0), (0, 5), (5, 4), (-1, 3)])
def test_consistency_refused(old: int, new: int) -> None:
    with pytest.raises(ProofError, match="expected 0 < old size <= new size"):
        rfc9162.consistency_proof(old, new, _node)


def test_error_messages_say_expected_and_got() -> None:
    proof = rfc9162.inclusion_proof(3, 8, _node)
    with pytest.raises(ProofError, match="expected an inclusion proof of 3 hashes, got 4"):
        verify_inclusion(LEAVES[3], 3, 8, [*proof, proof[0]], ROOTS[8])
    with pytest.raises(ProofError, match="expected a leaf hash of 32 bytes, got 9 bytes"):
        verify_inclusion(b"WrongLeaf", 3, 8, proof, ROOTS[8])
    with pytest.raises(ProofError, match=f"calculated root {ROOTS[8].hex()} does not match expected root"):
        verify_inclusion(LEAVES[3], 3, 8, proof, ROOTS[7])
    with pytest.raises(ProofError, match="expected an old size > 0"):
        verify_consistency(0, 0, [], ROOTS[0], ROOTS[0])
    with pytest.raises(ProofError, match="expected an empty proof for equal sizes, got 1 hashes"):
        verify_consistency(3, 3, [ROOTS[3]], ROOTS[3], ROOTS[3])


def test_range_nodes_refuses_unaligned_ranges() -> None:
    assert rfc9162.range_nodes(8, 14) == [(2, 2), (1, 6)]
    with pytest.raises(ProofError, match="aligned"):
        rfc9162.range_nodes(3, 7)


def test_frontier_follows_the_tree() -> None:
    frontier: list[bytes] = []
    written: dict[rfc9162.NodeId, bytes] = {}
    for size, leaf in enumerate(LEAVES):
        for node in compact.append_leaf(frontier, size, leaf):
            assert (node.level, node.index) not in written
            written[node.level, node.index] = node.hash
        assert compact.frontier_root(frontier) == ROOTS[size + 1]
        assert compact.unpack(compact.pack(frontier), size + 1) == frontier
    assert written == {(level, i): h for level, row in enumerate(LEVELS) for i, h in enumerate(row)}
    with pytest.raises(ValueError, match="frontier"):
        compact.append_leaf(frontier, N + 1, LEAVES[0])
    with pytest.raises(ValueError, match="frontier"):
        compact.unpack(compact.pack(frontier), N + 1)
    assert compact.frontier_root([]) == rfc9162.EMPTY_ROOT
