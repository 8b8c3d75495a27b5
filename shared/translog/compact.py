"""The right edge of a growing Merkle tree: what an append needs, with no read of the tree itself.

A tree of `size` leaves is the concatenation of complete subtrees, one per set bit of `size`, largest
first (RFC 9162 §2.1.1 splits the same way). Their hashes, in that order, are the *frontier* (a
"compact range" in github.com/transparency-dev/merkle). Appending a leaf merges the trailing subtrees
of equal size, exactly the complete subtrees the new leaf closes: the store writes those as new node
rows and keeps the frontier in its head row, so an append costs O(log n) hashing and no tree reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.translog.rfc9162 import EMPTY_ROOT, HASH_SIZE, node_hash


@dataclass(frozen=True, slots=True)
class NewNode:
    """A complete subtree closed by an append."""

    level: int
    index: int
    hash: bytes


def append_leaf(frontier: list[bytes], size: int, leaf_hash: bytes) -> list[NewNode]:
    """Append `leaf_hash` as leaf `size`: update `frontier` in place, return the closed subtrees.

    The first returned node is the leaf itself (level 0); each following one is its parent, as long as
    the new leaf completes it.
    """
    if len(frontier) != size.bit_count():
        raise ValueError(
            f"expected a frontier of {size.bit_count()} hashes for size {size}, got {len(frontier)}"
        )
    closed = [NewNode(0, size, leaf_hash)]
    current, level, index = leaf_hash, 0, size
    while index & 1:
        current = node_hash(frontier.pop(), current)
        level, index = level + 1, index >> 1
        closed.append(NewNode(level, index, current))
    frontier.append(current)
    return closed


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The root hash of the tree the frontier describes (RFC 9162 MTH)."""
    if not frontier:
        return EMPTY_ROOT
    result = frontier[-1]
    for left in reversed(frontier[:-1]):
        result = node_hash(left, result)
    return result


def pack(frontier: Sequence[bytes]) -> bytes:
    """The frontier as stored: its hashes concatenated."""
    return b"".join(frontier)


def unpack(packed: bytes, size: int) -> list[bytes]:
    """The inverse of `pack`, checked against the tree size it belongs to."""
    if len(packed) != size.bit_count() * HASH_SIZE:
        raise ValueError(
            f"expected a frontier of {size.bit_count()} hashes for size {size}, got {len(packed)} bytes"
        )
    return [packed[i : i + HASH_SIZE] for i in range(0, len(packed), HASH_SIZE)]
