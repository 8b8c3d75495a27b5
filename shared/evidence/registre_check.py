"""Step 5 of the verifier for registre bundles (`historique.json`): one entry per leaf, each naming its
leaf by index and RFC 9162 leaf hash, agreeing with the leaf on every field they share; every leaf is
about the declaration; the récépissé is the one the submission leaf names; the registry's checkpoint
is timestamped after every leaf (`check_ancrage`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from shared.evidence import format as fmt
from shared.evidence._context import Context, Failure
from shared.evidence.archive import sha256_hex
from shared.evidence.leaf_contents import check_ancrage, compare_instant, leaf_contents
from shared.translog.rfc9162 import leaf_hash


def check_registre(ctx: Context) -> Iterator[tuple[str, str]]:
    historique = ctx.json(fmt.HISTORIQUE)
    if historique.get("declaration_id") != ctx.sujet:
        raise Failure(
            fmt.HISTORIQUE, f"declaration_id {historique.get('declaration_id')!r} ≠ sujet {ctx.sujet!r}"
        )
    entrees = historique.get("entrees")
    if not isinstance(entrees, list) or not all(isinstance(e, dict) for e in entrees):
        raise Failure(fmt.HISTORIQUE, "liste « entrees » attendue")
    contents = dict(leaf_contents(ctx))
    seen: set[int] = set()
    previous: datetime | None = None
    for entree in sorted(entrees, key=lambda e: e.get("index") if isinstance(e.get("index"), int) else -1):
        index = entree.get("index")
        if not isinstance(index, int) or index not in contents or index in seen:
            raise Failure(fmt.HISTORIQUE, f"entrée sans feuille du journal ou en double : index {index!r}")
        seen.add(index)
        piece = f"{fmt.HISTORIQUE} (entrée {index})"
        if entree.get("feuille") != leaf_hash(ctx.leaves[index]).hex():
            raise Failure(piece, "l'empreinte de la feuille ne correspond pas au journal")
        content = contents[index]
        if content.get("declaration_id") != ctx.sujet:
            raise Failure(f"{fmt.FEUILLES} (feuille {index})", "feuille d'une autre déclaration")
        for key in sorted((entree.keys() & content.keys()) - {"index", "feuille"}):
            if key == "instant":
                expected = fmt.parse_instant(content[key], key)
                compare_instant(piece, key, entree[key], expected, source="la feuille")
            elif entree[key] != content[key]:
                raise Failure(piece, f"{key} {entree[key]!r}, la feuille dit {content[key]!r}")
        instant = fmt.parse_instant(content["instant"], "instant")
        if previous is not None and instant < previous:
            raise Failure(piece, "instants de l'historique non chronologiques")
        previous = instant
    missing = sorted(set(contents) - seen)
    if missing:
        raise Failure(fmt.HISTORIQUE, f"feuilles du journal sans entrée : {missing}")
    if fmt.RECEPISSE in ctx.files:
        empreinte = sha256_hex(ctx.files[fmt.RECEPISSE].strip())
        soumises = [i for i, c in contents.items() if c.get("recepisse_sha256") == empreinte]
        if not soumises:
            raise Failure(fmt.RECEPISSE, f"aucune feuille du journal ne porte son SHA-256 ({empreinte})")
        yield fmt.RECEPISSE, f"récépissé tel qu'émis à la soumission (feuille {soumises[0]})"
    yield fmt.HISTORIQUE, f"{len(seen)} entrées, chacune égale à sa feuille du journal"
    yield from check_ancrage(ctx)
