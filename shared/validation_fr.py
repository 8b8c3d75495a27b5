"""French messages for pydantic's validation errors (the `errors[].message` of a 422 `validation`).

pydantic writes its messages in English; the API speaks French to the offices and the declarants. Each
error keeps its pydantic `type` (stable, machine-readable) and gets a French `message` built from the
error's context (`ctx`), never from the rejected input (it may be a password or personal data).
Messages of the project's own validators (`ValueError("SIREN invalide …")`) are already French and are
kept as they are, without pydantic's "Value error, " prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MESSAGES: dict[str, str] = {
    "missing": "champ obligatoire absent",
    "extra_forbidden": "champ inconnu (non prévu par le contrat)",
    "string_type": "une chaîne de caractères est attendue",
    "string_too_short": "au moins {min_length} caractère(s) attendu(s)",
    "string_too_long": "au plus {max_length} caractère(s) attendu(s)",
    "string_pattern_mismatch": "format invalide (motif attendu : {pattern})",
    "int_type": "un nombre entier est attendu",
    "int_parsing": "un nombre entier est attendu",
    "int_from_float": "un nombre entier est attendu",
    "float_type": "un nombre est attendu",
    "float_parsing": "un nombre est attendu",
    "bool_type": "un booléen (true ou false) est attendu",
    "bool_parsing": "un booléen (true ou false) est attendu",
    "dict_type": "un objet JSON est attendu",
    "model_type": "un objet JSON est attendu",
    "model_attributes_type": "un objet JSON est attendu",
    "list_type": "une liste est attendue",
    "too_short": "au moins {min_length} élément(s) attendu(s)",
    "too_long": "au plus {max_length} élément(s) attendu(s)",
    "literal_error": "valeur attendue : {expected}",
    "enum": "valeur attendue : {expected}",
    "greater_than": "valeur supérieure à {gt} attendue",
    "greater_than_equal": "valeur supérieure ou égale à {ge} attendue",
    "less_than": "valeur inférieure à {lt} attendue",
    "less_than_equal": "valeur inférieure ou égale à {le} attendue",
    "date_type": "une date AAAA-MM-JJ est attendue",
    "date_parsing": "une date AAAA-MM-JJ est attendue",
    "date_from_datetime_parsing": "une date AAAA-MM-JJ est attendue",
    "date_from_datetime_inexact": "une date sans heure est attendue",
    "datetime_type": "un instant RFC 3339 est attendu (ex. 2026-03-02T09:00:00Z)",
    "datetime_parsing": "un instant RFC 3339 est attendu (ex. 2026-03-02T09:00:00Z)",
    "datetime_from_date_parsing": "un instant RFC 3339 est attendu (ex. 2026-03-02T09:00:00Z)",
    "timezone_aware": "un instant avec son fuseau est attendu (ex. 2026-03-02T09:00:00Z)",
    "uuid_type": "un identifiant UUID est attendu",
    "uuid_parsing": "un identifiant UUID est attendu",
    "url_type": "une URL est attendue",
    "url_parsing": "URL invalide",
    "url_scheme": "schéma d'URL non accepté (attendu : {expected_schemes})",
    "json_invalid": "JSON invalide",
    "json_type": "du JSON est attendu",
    "union_tag_not_found": "le champ « {discriminator} » est obligatoire",
    "union_tag_invalid": "valeur de « {discriminator} » inconnue (attendu : {expected_tags})",
    "bytes_type": "des octets sont attendus",
    "none_required": "aucune valeur n'est attendue ici",
    "frozen_field": "champ non modifiable",
    "value_error": "valeur invalide",
    "assertion_error": "valeur invalide",
}
_EMAIL = "value is not a valid email address"


def message_fr(error: Mapping[str, Any]) -> str:
    """The French message of one pydantic error (`ValidationError.errors()` item)."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        if str(error.get("msg", "")).startswith(_EMAIL):
            return "adresse électronique invalide"
        own = ctx.get("error")
        # The project's validators raise French messages; pydantic's own value errors are replaced.
        if isinstance(own, ValueError | AssertionError) and type(own).__module__ == "builtins" and str(own):
            return str(own)
    template = _MESSAGES.get(kind, "valeur invalide")
    try:
        return template.format(**{k: _texte(k, v) for k, v in ctx.items()})
    except (KeyError, IndexError):
        return template.split(" (")[0].split(" : ")[0]


def _texte(key: str, value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    if key == "discriminator":
        return str(value).strip("'")
    return str(value).replace(" or ", " ou ")
