"""What one write of the log stores, computed without a database: pure, the same for every store.

From the head (size and frontier) and the entries to append, `build` gives the leaf rows, the rows of
the complete subtrees the entries close (`compact.append_leaf`), the business references that receive
each leaf's index, and the new head. The reference store and every adapter write exactly these rows,
so their trees can only differ by how they write, never by what.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.translog import compact, rfc9162
from shared.translog.tables import node_id

logger = logging.getLogger("signif.translog")

#: One entry to append: its data, its instant, and the stored refs `[[column name, key], ...]` or None.
Entry = tuple[bytes, datetime, list[list[Any]] | None]


@dataclass
class Batch:
    """What one write stores: leaf and node rows, refs {column name: [(key, index)]}, the new head."""

    size: int
    frontier: bytes
    leaves: list[dict[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    refs: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)


def build(
    size: int, frontier: list[bytes], entries: Sequence[Entry], *, references: Container[str], log: str
) -> Batch:
    """The rows that append `entries` from index `size`; updates `frontier` in place.

    A ref to a column outside `references` (validated when queued: only a process configured
    differently can meet one) is logged and dropped: the leaf is integrated, the column stays empty,
    the log is never blocked for it.
    """
    batch = Batch(size + len(entries), b"")
    for offset, (data, created_at, refs) in enumerate(entries):
        closed = compact.append_leaf(frontier, size + offset, rfc9162.leaf_hash(data))
        leaf = closed[0]
        batch.leaves.append(
            {"leaf_index": leaf.index, "leaf_hash": leaf.hash, "data": data, "created_at": created_at}
        )
        batch.nodes.extend({"node_id": node_id(n.level, n.index), "hash": n.hash} for n in closed[1:])
        for name, key in refs or ():
            if name in references:
                batch.refs.setdefault(name, []).append((key, leaf.index))
            else:
                logger.error("queued leaf refers to an unknown column", extra={"log": log, "ref": name})
    batch.frontier = compact.pack(frontier)
    return batch
