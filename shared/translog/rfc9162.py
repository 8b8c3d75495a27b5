"""Merkle tree hashing, proofs and their verification, as in RFC 9162 §2.1 (Certificate Transparency 2.0).

The tree is the RFC 6962 / RFC 9162 history tree over SHA-256:

- leaf hash  `SHA-256(0x00 || d)` and interior node hash `SHA-256(0x01 || left || right)` (§2.1.1), so a
  leaf can never be passed off as an interior node (second-preimage resistance);
- the tree of `n` leaves splits at `k`, the largest power of two smaller than `n`; the empty tree hashes
  to `SHA-256("")`.

A *complete subtree* `(level, index)` covers the leaves `[index * 2**level, (index + 1) * 2**level)`.
Complete subtrees never change once their last leaf is appended, so a log store keeps their hashes and
every root or proof is assembled from at most about `2 * log2(n)` of them: the functions below take a
callable `node(level, index) -> hash` and the `*_nodes` functions say which ones will be asked for, so a
store can fetch them in one query. Levels start at 0 (the leaf hashes).

Verification follows the numbered algorithms of §2.1.3.2 and §2.1.4.2, with the edge cases decided as
github.com/transparency-dev/merkle does: a consistency proof from the empty tree is refused (it proves
nothing), equal sizes need an empty proof and identical roots, and a proof of the wrong length is
refused before any hashing. Every failure raises `ProofError` saying what was expected and what was got.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""A complete subtree: (level, index) with level 0 = the leaves."""

NodeHash = Callable[[int, int], bytes]
"""Returns the hash of the complete subtree (level, index)."""


class ProofError(Exception):
    """A proof could not be produced or did not verify; the message says what was expected and got."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: the hash of a leaf, `SHA-256(0x00 || data)`."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: the hash of an interior node, `SHA-256(0x01 || left || right)`."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.1: the Merkle Tree Hash of a list of leaf hashes, straight from the definition.

    Linear in the number of leaves: meant for small lists and as a reference in tests; a store
    computes roots from complete subtrees with `root_from_nodes`.
    """
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(mth(leaf_hashes[:k]), mth(leaf_hashes[k:]))


def complete_subtree_levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every complete subtree hash of a tree, by level: `levels[level][index]` (in memory)."""
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


# --- which complete subtrees a root or a proof needs ---------------------------------------------


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[NodeId]:
    """The complete subtrees whose hashes, folded right to left, give MTH(D[start:end]).

    The range must be one that appears in the tree's recursive split: `start` is a multiple of the
    largest power of two not above `end - start` (true of every range used by roots and proofs).
    """
    if not 0 <= start < end:
        raise ProofError(f"expected a non-empty range of leaves, got [{start}, {end})")
    nodes: list[NodeId] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise ProofError(f"expected a range aligned on 2^{level} leaves, got [{start}, {end})")
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _range_hash(start: int, end: int, node: NodeHash) -> bytes:
    hashes = [node(level, index) for level, index in range_nodes(start, end)]
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]) as leaf ranges, from the leaf level up."""
    if not 0 <= index < size:
        raise ProofError(f"expected a leaf index in [0, {size}), got {index}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as leaf ranges, bottom up."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"expected 0 < old size <= new size, got old={old_size} new={new_size}")
    ranges: list[tuple[int, int]] = []
    start, end, complete = 0, new_size, True
    while end != old_size:
        k = _split(end - start)
        if old_size <= start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, complete = start + k, False
    if not complete:
        ranges.append((start, end))
    return ranges[::-1]


def _nodes_of(ranges: Sequence[tuple[int, int]]) -> list[NodeId]:
    seen: dict[NodeId, None] = {}
    for start, end in ranges:
        seen.update(dict.fromkeys(range_nodes(start, end)))
    return list(seen)


def root_nodes(size: int) -> list[NodeId]:
    """The complete subtrees needed for the root of a tree of `size` leaves (none when empty)."""
    return range_nodes(0, size) if size else []


def inclusion_nodes(index: int, size: int) -> list[NodeId]:
    """The complete subtrees needed by `inclusion_proof(index, size, ...)`."""
    return _nodes_of(_inclusion_ranges(index, size))


def consistency_nodes(old_size: int, new_size: int) -> list[NodeId]:
    """The complete subtrees needed by `consistency_proof(old_size, new_size, ...)`."""
    if old_size == new_size and old_size > 0:
        return []
    return _nodes_of(_consistency_ranges(old_size, new_size))


# --- generation -------------------------------------------------------------------------------------


def root_from_nodes(size: int, node: NodeHash) -> bytes:
    """RFC 9162 §2.1.1: MTH(D[0:size]) from complete subtree hashes."""
    if size < 0:
        raise ProofError(f"expected a tree size >= 0, got {size}")
    return _range_hash(0, size, node) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, node: NodeHash) -> list[bytes]:
    """RFC 9162 §2.1.3.1: the inclusion proof (audit path) of leaf `index` in the tree of `size` leaves."""
    return [_range_hash(start, end, node) for start, end in _inclusion_ranges(index, size)]


def consistency_proof(old_size: int, new_size: int, node: NodeHash) -> list[bytes]:
    """RFC 9162 §2.1.4.1: the consistency proof between the trees of `old_size` and `new_size` leaves.

    Empty when the sizes are equal; refused from the empty tree (any tree extends it, there is nothing
    to prove) and when `new_size < old_size`.
    """
    if old_size == new_size and old_size > 0:
        return []
    return [_range_hash(start, end, node) for start, end in _consistency_ranges(old_size, new_size)]


# --- verification -----------------------------------------------------------------------------------


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"expected {what} of {HASH_SIZE} bytes, got {len(value)} bytes")


def _check_root(calculated: bytes, expected: bytes) -> None:
    if calculated != expected:
        raise ProofError(f"calculated root {calculated.hex()} does not match expected root {expected.hex()}")


def inclusion_proof_length(index: int, size: int) -> int:
    """The number of hashes in the inclusion proof of leaf `index` in a tree of `size` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"expected a leaf index in [0, {size}), got {index}")
    inner = (index ^ (size - 1)).bit_length()  # levels below the point where the path leaves the border
    return inner + (index >> inner).bit_count()


def consistency_proof_length(old_size: int, new_size: int) -> int:
    """The number of hashes in the consistency proof between two tree sizes (0 < old_size <= new_size)."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"expected 0 < old size <= new size, got old={old_size} new={new_size}")
    if old_size == new_size:
        return 0
    shift = (old_size & -old_size).bit_length() - 1  # trailing zeros: the old tree's last full subtree
    seeded = 0 if old_size == 1 << shift else 1
    return seeded + inclusion_proof_length(old_size - 1, new_size) - shift


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2: check that `leaf_hash` is leaf `index` of the tree of `size` leaves with `root`.

    Raises `ProofError` on any failure; returns None when the proof holds.
    """
    # 1. leaf_index must be below tree_size; the proof must have the length the shape dictates.
    if not 0 <= index < size:
        raise ProofError(f"expected a leaf index in [0, {size}), got {index}")
    _check_hash("a leaf hash", leaf_hash)
    expected = inclusion_proof_length(index, size)
    if len(proof) != expected:
        raise ProofError(f"expected an inclusion proof of {expected} hashes, got {len(proof)}")
    for p in proof:
        _check_hash("proof hashes", p)
    # 2. fn = leaf_index, sn = tree_size - 1.  3. r = hash.
    fn, sn, r = index, size - 1, leaf_hash
    # 4. Fold the path in.
    for p in proof:
        if sn == 0:  # 4a. more hashes than levels
            raise ProofError(f"expected at most {expected} proof hashes, got more")
        if fn & 1 or fn == sn:  # 4b. p is a left sibling
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:  # p is a right sibling
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1  # 4c.
    # 5. sn must be 0 and r must equal the root.
    if sn != 0:
        raise ProofError(f"expected the proof to reach the root, {sn.bit_length()} levels are missing")
    _check_root(r, root)


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """RFC 9162 §2.1.4.2: check that the tree of `new_size` leaves with `new_root` extends the tree of
    `old_size` leaves with `old_root`.

    Raises `ProofError` on any failure; returns None when the proof holds.
    """
    # 0. Sizes: time never runs back; equal sizes need no proof; the empty tree proves nothing.
    if new_size < old_size:
        raise ProofError(f"expected new size >= old size, got old={old_size} new={new_size}")
    if old_size == 0:
        raise ProofError(
            f"expected an old size > 0 (a proof from the empty tree is meaningless), got {old_size}"
        )
    if old_size == new_size:
        if proof:
            raise ProofError(f"expected an empty proof for equal sizes, got {len(proof)} hashes")
        if old_root != new_root:
            raise ProofError(
                f"expected identical roots for equal sizes, got {old_root.hex()} and {new_root.hex()}"
            )
        return
    # 1. The proof cannot be empty and must have the length the sizes dictate.
    expected = consistency_proof_length(old_size, new_size)
    if len(proof) != expected:
        raise ProofError(f"expected a consistency proof of {expected} hashes, got {len(proof)}")
    for c in proof:
        _check_hash("proof hashes", c)
    path = list(proof)
    # 2. If first is an exact power of 2, prepend first_hash.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3. fn = first - 1, sn = second - 1.
    fn, sn = old_size - 1, new_size - 1
    # 4. Skip the levels where the old tree's last subtree is complete.
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # 5. fr = sr = the first value.
    fr = sr = path[0]
    # 6. Fold the remaining hashes into both roots.
    for c in path[1:]:
        if sn == 0:  # 6a.
            raise ProofError(f"expected at most {expected} proof hashes, got more")
        if fn & 1 or fn == sn:  # 6b.
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1  # 6c.
    # 7. fr must be first_hash, sr second_hash, and sn 0.
    if sn != 0:
        raise ProofError(f"expected the proof to reach the new root, {sn.bit_length()} levels are missing")
    if fr != old_root:
        raise ProofError(f"calculated old root {fr.hex()} does not match expected old root {old_root.hex()}")
    _check_root(sr, new_root)
