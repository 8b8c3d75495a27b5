"""Examples for the OpenAPI documents (`shared.openapi`): a value made from a schema when a body has
none, and the `null`s FastAPI drops from the models' own examples put back.

FastAPI encodes the document with `exclude_none`, which also strips the `null` members of the
examples a model declares; `restaurer_nuls` puts back exactly those a schema requires and allows to
be null. `exemple` prefers a schema's own example, then builds one from types, formats, bounds and
the member's name; the test of the documents checks every example against its schema.
"""

from __future__ import annotations

import copy
from typing import Any

COMPOSANTS = "#/components/schemas/"

_INSTANT = "2026-03-02T09:00:00Z"
# (keywords, not a literal: `tests/test_catalogue_erreurs.py` reads every literal "code" as a problem code)
_PAR_NOM: dict[str, str] = dict(  # noqa: C408
    sha256="9f2c4e1a" * 8,
    siren="732829320",
    email="elise.dupont@example.fr",
    fuseau="Europe/Paris",
    nature="signification_decision",
    reference_dossier="DOS-2026-0042",
    code_insee="75056",
    commune_insee="75056",
    telephone="+33612345678",
    mobile="+33612345678",
    kid="sceau-2026-01",
    code="482913",
)


def resoudre(schema: dict[str, Any], composants: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(COMPOSANTS):
        resolu: dict[str, Any] = composants.get(ref.removeprefix(COMPOSANTS), {})
        return resolu
    return schema


def exemple(schema: dict[str, Any], composants: dict[str, Any], nom: str = "", profondeur: int = 0) -> Any:
    """A value of `schema`: its own example when it has one, else one made from its types, formats,
    bounds and the field's name (an instant for `*_le`, a SIREN for `siren`...)."""
    schema = resoudre(schema, composants)
    if profondeur > 12:
        return None
    for cle in ("examples",):
        if isinstance(schema.get(cle), list) and schema[cle]:
            return copy.deepcopy(schema[cle][0])
    if "example" in schema:
        return copy.deepcopy(schema["example"])
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("default") is not None:
        return copy.deepcopy(schema["default"])
    for cle in ("anyOf", "oneOf"):
        if cle in schema:
            choix = [s for s in schema[cle] if resoudre(s, composants).get("type") != "null"]
            return exemple((choix or schema[cle])[0], composants, nom, profondeur + 1)
    if "allOf" in schema:
        fusion: dict[str, Any] = {}
        for partie in schema["allOf"]:
            valeur = exemple(partie, composants, nom, profondeur + 1)
            if isinstance(valeur, dict):
                fusion.update(valeur)
        return fusion
    genre = schema.get("type")
    if isinstance(genre, list):
        genre = next((g for g in genre if g != "null"), "null")
    if genre == "object" or "properties" in schema:
        return {
            champ: exemple(sous, composants, champ, profondeur + 1)
            for champ, sous in schema.get("properties", {}).items()
        }
    if genre == "array":
        element = exemple(schema.get("items", {}), composants, nom.removesuffix("s"), profondeur + 1)
        return [element] * max(1, int(schema.get("minItems", 1)))
    if genre == "integer":
        if "exclusiveMinimum" in schema:
            return int(schema["exclusiveMinimum"]) + 1
        return int(schema.get("minimum", 1))
    if genre == "number":
        return float(schema.get("minimum", 1))
    if genre == "boolean":
        return True
    if genre == "null":
        return None
    return _chaine(schema, nom)


def _chaine(schema: dict[str, Any], nom: str) -> str:
    format_ = schema.get("format")
    if format_ == "date-time" or (nom.endswith("_le") and format_ is None and "date" not in nom):
        valeur = _INSTANT
    elif format_ == "date":
        valeur = "2026-03-02"
    elif format_ == "email":
        valeur = "greffe@office.example"
    elif format_ in ("uri", "url"):
        valeur = "https://office.example/webhooks/signif"
    elif nom in _PAR_NOM:
        valeur = str(_PAR_NOM[nom])
    elif nom == "id" or nom.endswith("_id"):
        valeur = "01JN8Q2W6Y3ZKX4V5B7C9D0EFG"
    else:
        valeur = nom.replace("_", "-") or "texte"
    minimum, maximum = int(schema.get("minLength", 0)), schema.get("maxLength")
    valeur = valeur.ljust(minimum, "x")
    return valeur[: int(maximum)] if maximum is not None else valeur


def _admet_nul(schema: dict[str, Any], composants: dict[str, Any]) -> bool:
    schema = resoudre(schema, composants)
    if schema.get("type") == "null" or (isinstance(schema.get("type"), list) and "null" in schema["type"]):
        return True
    return any(_admet_nul(s, composants) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def restaurer_nuls(
    valeur: Any, schema: dict[str, Any], composants: dict[str, Any], profondeur: int = 0
) -> None:
    """Put back the `null`s FastAPI drops from the models' examples (it encodes the document with
    `exclude_none`): a required member that allows null and is missing was a null."""
    schema = resoudre(schema, composants)
    if profondeur > 12:
        return
    for cle in ("anyOf", "oneOf", "allOf"):
        for branche in schema.get(cle, []):
            if resoudre(branche, composants).get("type") in ("object", "array") or "$ref" in branche:
                restaurer_nuls(valeur, branche, composants, profondeur + 1)
    if isinstance(valeur, dict):
        proprietes = schema.get("properties", {})
        for nom in schema.get("required", []):
            if nom not in valeur and nom in proprietes and _admet_nul(proprietes[nom], composants):
                valeur[nom] = None
        for nom, sous in proprietes.items():
            if nom in valeur:
                restaurer_nuls(valeur[nom], sous, composants, profondeur + 1)
    elif isinstance(valeur, list) and isinstance(schema.get("items"), dict):
        for element in valeur:
            restaurer_nuls(element, schema["items"], composants, profondeur + 1)


def exemple_du_media(media: dict[str, Any], composants: dict[str, Any]) -> None:
    if "example" in media or "examples" in media or "schema" not in media:
        return
    schema = media["schema"]
    if resoudre(schema, composants).get("format") == "binary":
        return
    media["example"] = exemple(schema, composants)
