"""What every operation of the three OpenAPI documents must say (tests/test_openapi.py): a pure
function from a document to the list of what is missing, so a failure names every gap at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

PROBLEME = "application/problem+json"
METHODES = ("get", "put", "post", "delete", "patch")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for chemin, item in document.get("paths", {}).items():
        for methode in METHODES:
            if methode in item:
                yield chemin, methode, item[methode]


def _resoudre(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        resolu: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return resolu
    return schema


def objets_nus(
    schema: Any, document: dict[str, Any], vus: set[str] | None = None, ou: str = "", decrit: bool = False
) -> list[str]:
    """Where `schema` holds an object whose members are not described (a bare `dict`); one left open on
    purpose says why in its description (or its property's, for a nullable one)."""
    vus = set() if vus is None else vus
    if not isinstance(schema, dict):
        return []
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in vus:
            return []
        vus.add(ref)
        return objets_nus(_resoudre(schema, document), document, vus, ref.rsplit("/", 1)[1])
    trouves: list[str] = []
    genre = schema.get("type")
    if (genre == "object" or genre == ["object"]) and not schema.get("properties"):
        extra = schema.get("additionalProperties")
        # Open on purpose only when the schema says why (notify's intake keeps unknown event types).
        if (not isinstance(extra, dict) or not extra) and not (decrit or schema.get("description")):
            trouves.append(ou or "<racine>")
    for cle, sous in schema.items():
        if cle in ("properties", "$defs"):
            for nom, s in sous.items():
                trouves += objets_nus(s, document, vus, f"{ou}.{nom}")
        elif cle in ("items", "additionalProperties", "contentSchema"):
            trouves += objets_nus(sous, document, vus, f"{ou}[]")
        elif cle in ("anyOf", "oneOf", "allOf"):
            for s in sous:
                trouves += objets_nus(s, document, vus, ou, decrit or bool(schema.get("description")))
    return trouves


_DOCUMENT = "urn:signif:document"


def valideur(schema: dict[str, Any], document: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator of `schema` whose `#/components/...` references resolve in `document`."""
    racine = Resource.from_contents({"components": document["components"]}, default_specification=DRAFT202012)
    registre: Registry[Any] = Registry().with_resource(_DOCUMENT, racine)
    return jsonschema.Draft202012Validator(_reancrer(schema), registry=registre)


def _reancrer(valeur: Any) -> Any:
    if isinstance(valeur, dict):
        return {
            k: (_DOCUMENT + v if k == "$ref" and isinstance(v, str) and v.startswith("#/") else _reancrer(v))
            for k, v in valeur.items()
        }
    if isinstance(valeur, list):
        return [_reancrer(v) for v in valeur]
    return valeur


def _exemples(media: dict[str, Any], document: dict[str, Any]) -> list[Any]:
    valeurs: list[Any] = []
    if "example" in media:
        valeurs.append(media["example"])
    valeurs += [e["value"] for e in media.get("examples", {}).values() if "value" in e]
    schema = _resoudre(media.get("schema", {}), document)
    valeurs += list(schema.get("examples", []))
    return valeurs


_ANGLAIS = re.compile(r"\b(the|and|is|with|of|are)\b")


def textes_anglais(valeur: Any, ou: str = "") -> list[str]:
    """Descriptions and summaries written in English: the documents speak French to integrators (a
    model's docstring becomes its schema's description)."""
    trouves: list[str] = []
    if isinstance(valeur, dict):
        for cle, v in valeur.items():
            if cle in ("description", "summary") and isinstance(v, str) and _ANGLAIS.search(v):
                trouves.append(f"{ou}/{cle}: {v[:80]}")
            elif cle not in ("examples", "example"):
                trouves += textes_anglais(v, f"{ou}/{cle}")
    elif isinstance(valeur, list):
        for i, v in enumerate(valeur):
            trouves += textes_anglais(v, f"{ou}/{i}")
    return trouves


def manques(document: dict[str, Any], codes_connus: set[str]) -> list[str]:
    """Everything an operation of `document` fails to say (empty when the document is complete)."""
    gaps: list[str] = [f"in English: {t}" for t in textes_anglais(document)]
    schemes = document.get("components", {}).get("securitySchemes", {})
    for chemin, methode, op in operations(document):
        ici = f"{methode.upper()} {chemin}"
        if not op.get("summary"):
            gaps.append(f"{ici}: no summary")
        description = op.get("description", "")
        propre = description.split("**Appelant**")[0].strip()
        if len(propre) < 40:
            gaps.append(f"{ici}: no description of what it does and its effect")
        if "**Appelant**" not in description:
            gaps.append(f"{ici}: does not say who may call it")
        if "security" not in op:
            gaps.append(f"{ici}: no security requirement (not even [] for a public one)")
        for alternative in op.get("security", []):
            for nom in alternative:
                if nom not in schemes:
                    gaps.append(f"{ici}: undeclared security scheme {nom}")
                if nom == "jeton":
                    for statut, code in (("401", "authentification"), ("403", "interdit")):
                        exemples = op["responses"].get(statut, {}).get("content", {}).get(PROBLEME, {})
                        if code not in exemples.get("examples", {}):
                            gaps.append(f"{ici}: bearer token required but {statut} {code} not documented")
        for p in op.get("parameters", []):
            if p.get("in") == "header" and p["name"].lower() in ("authorization", "x-jeton-gestion"):
                gaps.append(f"{ici}: credential {p['name']} as a parameter, not a security scheme")
        succes = False
        for statut, reponse in op.get("responses", {}).items():
            contenu = reponse.get("content", {})
            if statut.startswith("2"):
                succes = True
                for type_, media in contenu.items():
                    schema = media.get("schema")
                    if schema is None:
                        gaps.append(f"{ici}: {statut} {type_} without a schema")
                        continue
                    for nu in objets_nus(schema, document):
                        gaps.append(f"{ici}: {statut} untyped object at {nu}")
                    if "json" in type_:
                        if not _exemples(media, document):
                            gaps.append(f"{ici}: {statut} no example")
                        for valeur in _exemples(media, document):
                            for erreur in valideur(schema, document).iter_errors(valeur):
                                gaps.append(f"{ici}: {statut} example invalid: {erreur.message[:150]}")
                if not contenu and statut not in ("202", "204"):
                    gaps.append(f"{ici}: {statut} without content")
            elif statut[0] in "45":
                media = contenu.get(PROBLEME)
                if media is None or media.get("schema", {}).get("$ref") != "#/components/schemas/Probleme":
                    gaps.append(f"{ici}: {statut} is not a problem+json Probleme")
                    continue
                exemples = media.get("examples", {})
                if not exemples:
                    gaps.append(f"{ici}: {statut} lists no problem code")
                for code, ex in exemples.items():
                    valeur = ex.get("value", {})
                    if valeur.get("code") != code or str(valeur.get("status")) != statut:
                        gaps.append(f"{ici}: {statut} example {code} does not match its status/code")
                    if code not in codes_connus:
                        gaps.append(f"{ici}: {statut} code {code} is in no error class")
                    if f"`{code}`" not in reponse.get("description", ""):
                        gaps.append(f"{ici}: {statut} description does not name {code}")
        if not succes:
            gaps.append(f"{ici}: no success response")
        corps = op.get("requestBody", {}).get("content", {})
        for type_, media in corps.items():
            schema = media.get("schema", {})
            for nu in objets_nus(schema, document):
                gaps.append(f"{ici}: request body untyped object at {nu}")
            if "json" in type_:
                if not _exemples(media, document):
                    gaps.append(f"{ici}: request body without an example")
                for valeur in _exemples(media, document):
                    for erreur in valideur(schema, document).iter_errors(valeur):
                        gaps.append(f"{ici}: request example invalid: {erreur.message[:150]}")
        if corps and "422" not in op.get("responses", {}):
            gaps.append(f"{ici}: a body but no 422")
    return gaps
