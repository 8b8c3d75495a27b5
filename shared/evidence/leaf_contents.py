"""The leaves of a bundle as the story reads them, and the anchoring of the log in time.

- `leaf_contents`: each leaf of `journal/feuilles.json` (verified in step 4) as a JSON object with a
  `type` and an `instant`, its commitments opened by `journal/ouvertures.json`;
- `check_ancrage`: the checkpoint the proofs lead to is RFC 3161-timestamped after every leaf
  (acte and registre bundles alike; a bundle made before anchoring says so and passes).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from shared.evidence import format as fmt
from shared.evidence._context import Context, Failure
from shared.evidence.engagements import Ouverture, OuvertureInvalide, engagement, engagements_de, ouvrir


def compare_instant(
    piece: str, key: str, value: object, expected: datetime | None, *, source: str = "le récit"
) -> None:
    """Fail unless `value` (RFC 3339) is the instant `expected` (which `source` asserts)."""
    try:
        instant = fmt.parse_instant(value, key)
    except fmt.FormatError as exc:
        raise Failure(piece, str(exc)) from exc
    if expected is None:
        raise Failure(piece, f"{key} {value} alors que {source} n'en a pas")
    if instant != expected:
        raise Failure(piece, f"{key} {fmt.rfc3339_utc(instant)}, {source} dit {fmt.rfc3339_utc(expected)}")


def _ouvertures(ctx: Context) -> dict[int, list[Ouverture]]:
    """`journal/ouvertures.json` by leaf index (each opening's own commitment recomputed later)."""
    if fmt.OUVERTURES not in ctx.files:
        return {}
    try:
        items = fmt.json_value(ctx.files[fmt.OUVERTURES], "contenu")
    except fmt.FormatError as exc:
        raise Failure(fmt.OUVERTURES, str(exc)) from exc
    if not isinstance(items, list):
        raise Failure(fmt.OUVERTURES, "liste d'ouvertures attendue")
    par_index: dict[int, list[Ouverture]] = {}
    for item in items:
        index = item.get("index") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(index, int) or index not in ctx.leaves:
            raise Failure(fmt.OUVERTURES, f"ouverture d'une feuille absente du lot : {item!r}"[:200])
        champ, valeur, sel = item.get("champ"), item.get("valeur"), item.get("sel")
        if not (isinstance(champ, str) and isinstance(valeur, str) and isinstance(sel, str)):
            raise Failure(fmt.OUVERTURES, f"ouverture mal formée : {item!r}"[:200])
        try:
            brut = bytes.fromhex(sel)
        except ValueError as exc:
            raise Failure(fmt.OUVERTURES, f"sel hexadécimal attendu, trouvé {sel!r}") from exc
        par_index.setdefault(index, []).append(Ouverture(engagement(brut, valeur), champ, valeur, brut))
    return par_index


def leaf_contents(ctx: Context) -> list[tuple[int, dict[str, Any]]]:
    """Each leaf's content, opened by the bundle's openings (`shared.evidence.engagements`): a
    declaration commitment left closed, or an opening that does not open what its leaf carries,
    fails."""
    ouvertures = _ouvertures(ctx)
    contents = []
    for index in sorted(ctx.leaves):
        piece = f"{fmt.FEUILLES} (feuille {index})"
        try:
            content = fmt.json_object(ctx.leaves[index], "données")
            fmt.parse_instant(content.get("instant"), "instant")
        except fmt.FormatError as exc:
            raise Failure(piece, str(exc)) from exc
        if not isinstance(content.get("type"), str):
            raise Failure(piece, "champ type manquant")
        propres = ouvertures.get(index, [])
        portes = set(engagements_de(content))
        for o in propres:
            if o.engagement not in portes:
                raise Failure(
                    fmt.OUVERTURES,
                    f"l'ouverture de {o.champ} (feuille {index}) ne redonne aucun engagement de la feuille",
                )
        try:
            content = ouvrir(content, propres)
        except OuvertureInvalide as exc:
            raise Failure(fmt.OUVERTURES, f"feuille {index} : {exc}") from exc
        for ferme in ("declaration_engagement", "declarations_engagements"):
            if ferme in content:
                raise Failure(piece, f"engagement {ferme} non ouvert par {fmt.OUVERTURES}")
        contents.append((index, content))
    return contents


#: How much later than a checkpoint's timestamp a leaf's instant may be: the token's second.
PRECISION_HORODATAGE = timedelta(seconds=1)


def check_ancrage(ctx: Context) -> Iterator[tuple[str, str]]:
    """The timestamped checkpoint (`horodatages/checkpoint.tsr` over `journal/checkpoint-dernier.txt`,
    its token checked in step 2): a third party saw that state of the log (the répertoire or the
    registry) after every event it covers, so no leaf of the bundle can carry an instant later than
    the token's, beyond `PRECISION_HORODATAGE` (a TSA commonly states genTime to the second, and the
    embedded one declares an accuracy of one second)."""
    gen_time = ctx.horodatages.get(fmt.CHECKPOINT_DERNIER)
    if gen_time is None:
        yield fmt.CHECKPOINT_DERNIER, "checkpoint non horodaté dans ce lot (format antérieur)"
        return
    for index, content in leaf_contents(ctx):
        instant = fmt.parse_instant(content.get("instant"), "instant")
        if instant > gen_time + PRECISION_HORODATAGE:
            raise Failure(
                f"{fmt.FEUILLES} (feuille {index})",
                f"instant {fmt.rfc3339_utc(instant)} postérieur à l'horodatage du checkpoint "
                f"({fmt.rfc3339_utc(gen_time)})",
            )
    yield (
        fmt.CHECKPOINT_DERNIER,
        f"checkpoint horodaté le {fmt.rfc3339_utc(gen_time)}, "
        f"après chacune des {len(ctx.leaves)} feuilles du lot",
    )
