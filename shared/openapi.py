"""The OpenAPI documents as the contract (docs/fr/contrat.md): what FastAPI generates from the routes,
completed from the code so that a document cannot say something the code does not do.

`completer` adds to every public operation:

- **who may call it**: the security requirement, derived from the route's dependencies. A role's
  dependency (`shared.auth.require_role`) requires the `jeton` scheme (`Authorization: Bearer <JWT>`)
  and names the role; another dependency declares what it demands with `exige` (the declarant's
  `X-Jeton-Gestion` or session). An operation without any says it is public (`security: []`). The
  header parameters a scheme carries (`Authorization`, `X-Jeton-Gestion`) are the scheme's, not
  parameters of their own.
- **every refusal, with its status and problem `code`**: the classes the route declares
  (`error_responses(...)`) and those its shape implies — the refusals of its security dependencies
  (401 `authentification`, 403 `interdit`), 422 `validation` with parameters or a body, 413
  `trop-volumineux` and 415 `type-non-supporte` with a body. Each status is an
  `application/problem+json` response (`Probleme`) with one named example per code, built from the
  error class (`status_code`, `code`, `title`), never written by hand.
- **an example** on each JSON request and response body without one: the model's own `examples`
  when it has some, else one made from its schema (`shared.openapi_exemples`), which the test of the
  documents checks against that schema like the written ones.
- names a generated client reads well: operationIds are the handlers' names, tags are ASCII (their
  French label as description), form bodies are `Corps<Handler>`.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute

from shared.errors import (
    PROBLEM_JSON,
    TYPE_BASE,
    ServiceError,
    TropVolumineux,
    TypeNonSupporte,
    Unprocessable,
    description_refus,
    error_responses,
)
from shared.openapi_exemples import exemple_du_media, restaurer_nuls

COMPOSANTS = "#/components/schemas/"
PROBLEME = COMPOSANTS + "Probleme"

SCHEMAS_SECURITE: dict[str, dict[str, Any]] = {
    "jeton": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "Jeton d'accès de la plateforme : JWT signé (EdDSA) par l'émetteur de confiance, `aud` le "
            "service appelé, `role` l'un de `commissaire`, `operateur`, `autorite_judiciaire`, `service`. "
            "Absent ou invalide : 401 `authentification` ; autre rôle : 403 `interdit`. "
            "Voir docs/fr/authentification.md (`signif token issue --preset ...` en émet un en "
            "développement)."
        ),
    },
    "jetonGestion": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Jeton-Gestion",
        "description": (
            "Le jeton de gestion rendu une fois par `POST /consent/v1/declarations` : il prouve que "
            "l'appelant détient la déclaration."
        ),
    },
    "sessionDeclarant": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "Session du déclarant (secret opaque rendu par "
            "`POST /consent/v1/comptes/connexion/{defi_id}/code`), envoyée en `Authorization: Bearer` ; "
            "elle remplace `X-Jeton-Gestion` sur ses déclarations."
        ),
    },
}
#: Header parameters that a security scheme carries (lower case).
_ENTETES_DE_SECURITE = {"authorization", "x-jeton-gestion"}


class ChampInvalide(BaseModel):
    champ: str = Field(description="Le chemin du champ, points entre les niveaux (`destinataire.nom`).")
    message: str = Field(description="Ce qui ne va pas, en français.")
    type: str | None = Field(description="Le type d'erreur de pydantic (`missing`, `string_too_long`...).")


class Probleme(BaseModel):
    """RFC 9457 problem details (`application/problem+json`); `code` is the stable machine code."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "description": (
                "Un refus (RFC 9457). `code` est stable : c'est lui qu'un logiciel compare "
                "(docs/fr/erreurs.md) ; `detail` est une phrase en français pour un humain. Certains refus "
                "ajoutent des membres propres (`errors`, `controle`, `motif`...)."
            ),
            "examples": [
                {
                    "type": TYPE_BASE + "consentement-absent",
                    "title": "Pas de consentement valable à la signification électronique",
                    "status": 422,
                    "detail": "Signification électronique impossible : aucun consentement enregistré.",
                    "code": "consentement-absent",
                    "instance": "/coffre/v1/actes",
                    "motif": "absent",
                }
            ],
        },
    )

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[ChampInvalide] | None = Field(
        None, description="Avec `validation` et `metadonnees-invalides` : les champs refusés."
    )
    controle: str | None = Field(None, description="Avec un refus de document : le contrôle qui a échoué.")


# --- who may call an operation -------------------------------------------------------------------


@dataclass(frozen=True)
class Exigence:
    """What a dependency demands of its caller, for the documents."""

    securite: tuple[dict[str, list[str]], ...]  # alternatives, as OpenAPI's `security`
    appelant: str  # who may call, in French
    refus: tuple[type[ServiceError], ...]  # what the dependency answers to a caller who is not


_EXIGENCES: dict[Callable[..., Any], Exigence] = {}
_F = TypeVar("_F", bound=Callable[..., Any])


def exige(dependance: _F, exigence: Exigence) -> _F:
    """Record what `dependance` demands; the operations using it are documented accordingly."""
    _EXIGENCES[dependance] = exigence
    return dependance


def routes_documentees(routes: Sequence[BaseRoute]) -> Iterator[Any]:
    """The API routes of `routes` in the documents, as FastAPI sees them (included routers' effective
    routes: path, methods, dependencies with the router's own)."""
    for contexte in iter_route_contexts(routes):
        if isinstance(contexte.original_route, APIRoute) and contexte.include_in_schema:
            yield contexte


def exigences(route: Any) -> list[Exigence]:
    trouvees: list[Exigence] = []

    def visiter(dependant: Dependant) -> None:
        call = dependant.call
        if call is not None and call in _EXIGENCES and _EXIGENCES[call] not in trouvees:
            trouvees.append(_EXIGENCES[call])
        for sous in dependant.dependencies:
            visiter(sous)

    visiter(route.dependant)
    return trouvees


def fichier(*media_types: str, description: str, statut: int = 200) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry of an operation answering a file (bytes, not JSON)."""
    contenu = {
        m: {"schema": {"type": "string", "format": "binary", "contentMediaType": m}} for m in media_types
    }
    return {statut: {"description": description, "content": contenu}}


# --- refusals ------------------------------------------------------------------------------------


def _ajouter_refus(operation: dict[str, Any], erreurs: Iterable[type[ServiceError]]) -> None:
    reponses: dict[str, Any] = operation.setdefault("responses", {})
    for statut, entree in error_responses(*erreurs).items():
        cle = str(statut)
        existante = reponses.get(cle)
        if existante is None or PROBLEM_JSON not in existante.get("content", {}):
            reponses[cle] = entree  # FastAPI's own 422 (HTTPValidationError) is not what is answered
            continue
        exemples = existante["content"][PROBLEM_JSON].setdefault("examples", {})
        for code, exemple in entree["content"][PROBLEM_JSON]["examples"].items():
            exemples.setdefault(code, exemple)
        existante["description"] = description_refus(exemples)


# --- the completion ------------------------------------------------------------------------------


def _parametres_sans_securite(operation: dict[str, Any]) -> None:
    gardes = [
        p
        for p in operation.get("parameters", [])
        if not (p.get("in") == "header" and str(p.get("name", "")).lower() in _ENTETES_DE_SECURITE)
    ]
    if gardes:
        operation["parameters"] = gardes
    else:
        operation.pop("parameters", None)


def _completer_operation(operation: dict[str, Any], route: Any, composants: dict[str, Any]) -> set[str]:
    """Complete one operation; the security schemes it uses."""
    erreurs: list[type[ServiceError]] = []
    exigees = exigences(route)
    if exigees:
        operation["security"] = [alt for e in exigees for alt in e.securite]
        appelant = " ; ".join(e.appelant for e in exigees)
        erreurs += [r for e in exigees for r in e.refus]
    elif operation.get("security"):
        appelant = "le détenteur de la session indiquée (voir `security`)"
    else:
        operation["security"] = []
        appelant = "public, sans jeton"
    utilises = {nom for alt in operation["security"] for nom in alt}
    if utilises:
        _parametres_sans_securite(operation)
    corps = "requestBody" in operation
    if operation.get("parameters") or corps:
        erreurs.append(Unprocessable)
    if corps:
        erreurs += [TropVolumineux, TypeNonSupporte]
    # FastAPI's 422 describes its own error shape, not the problem+json the handlers answer.
    fastapi_422 = operation.get("responses", {}).get("422", {}).get("content", {})
    if "application/json" in fastapi_422:
        del operation["responses"]["422"]
    _ajouter_refus(operation, erreurs)
    description = (operation.get("description") or "").strip()
    operation["description"] = f"{description}\n\n**Appelant** : {appelant}.".strip()
    for media in operation.get("requestBody", {}).get("content", {}).values():
        exemple_du_media(media, composants)
    for statut, reponse in operation.get("responses", {}).items():
        if str(statut).startswith("2"):
            if reponse.get("description") == "Successful Response":  # FastAPI's default, in English
                reponse["description"] = "Succès"
            for media in reponse.get("content", {}).values():
                exemple_du_media(media, composants)
    operation["responses"] = dict(sorted(operation["responses"].items()))
    return utilises


def completer(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """Complete `document` (generated from `routes`) in place, see the module docstring."""
    composants = document.setdefault("components", {})
    schemas: dict[str, Any] = composants.setdefault("schemas", {})
    schemas.update(_schemas_du_probleme())
    for schema in schemas.values():
        for valeur in schema.get("examples", []):
            restaurer_nuls(valeur, schema, schemas)
    for inutile in ("HTTPValidationError", "ValidationError"):
        schemas.pop(inutile, None)
    utilises: set[str] = set()
    documentees = list(routes_documentees(routes))
    noms = Counter(route.name for route in documentees for _ in route.methods)
    for route in documentees:
        chemin = document.get("paths", {}).get(route.path_format, {})
        for methode in sorted(route.methods):
            operation = chemin.get(methode.lower())
            if operation is not None:
                utilises |= _completer_operation(operation, route, schemas)
                if noms[route.name] == 1:
                    # The handler's name (`deposer_acte`), not FastAPI's `deposer_acte_coffre_v1_actes_post`:
                    # what a generated client names its function.
                    operation["operationId"] = route.name
    _etiquettes_ascii(document)
    _renommer_corps(document)
    for webhook in document.get("webhooks", {}).values():
        for operation in webhook.values():
            # A receiver's refusal is its own business: FastAPI's 422 does not apply to a webhook.
            operation.get("responses", {}).pop("422", None)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                exemple_du_media(media, schemas)
    if utilises:
        composants["securitySchemes"] = {n: SCHEMAS_SECURITE[n] for n in sorted(utilises)}
    return document


def _ascii(texte: str) -> str:
    plie = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode("ascii")
    return "-".join(plie.lower().split())


def _etiquettes_ascii(document: dict[str, Any]) -> None:
    """Tags in ASCII (`reception`, `autorite-judiciaire`), their French label as the tag's description:
    generated clients make modules of them (`api/réception/` is a poor Python package name)."""
    libelles: dict[str, str] = {}
    for item in [*document.get("paths", {}).values(), *document.get("webhooks", {}).values()]:
        for operation in item.values():
            if isinstance(operation, dict) and "tags" in operation:
                for libelle in operation["tags"]:
                    libelles.setdefault(_ascii(libelle), libelle)
                operation["tags"] = [_ascii(t) for t in operation["tags"]]
    document["tags"] = [{"name": nom, "description": libelles[nom]} for nom in sorted(libelles)]


def _renommer_corps(document: dict[str, Any]) -> None:
    """FastAPI names a form body's schema after its route (`Body_deposer_piece_consent_v1_...`): named
    after the handler instead (`CorpsDeposerPiece`)."""
    schemas = document.get("components", {}).get("schemas", {})
    noms: dict[str, str] = {}
    for nom in list(schemas):
        if nom.startswith("Body_"):
            handler = _nom_du_handler(nom.removeprefix("Body_"))
            nouveau = "Corps" + "".join(p.capitalize() for p in handler.split("_"))
            if nouveau not in schemas:
                noms[nom] = nouveau
                schema = schemas.pop(nom)
                schema["title"] = nouveau
                schemas[nouveau] = schema
    if noms:
        _remplacer_refs(document, {COMPOSANTS + a: COMPOSANTS + b for a, b in noms.items()})


def _nom_du_handler(nom: str) -> str:
    # FastAPI's id is `<handler>_<path with _>_<method>`; the path starts with the service's prefix.
    for service in ("consent", "coffre", "notify"):
        nom = nom.split(f"_{service}_")[0]
    return nom


def _remplacer_refs(valeur: Any, noms: dict[str, str]) -> None:
    if isinstance(valeur, dict):
        for cle, v in valeur.items():
            if cle == "$ref" and isinstance(v, str) and v in noms:
                valeur[cle] = noms[v]
            else:
                _remplacer_refs(v, noms)
    elif isinstance(valeur, list):
        for v in valeur:
            _remplacer_refs(v, noms)


def _schemas_du_probleme() -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    _, definitions = models_json_schema([(Probleme, "serialization")], ref_template=COMPOSANTS + "{model}")
    resultat: dict[str, Any] = definitions.get("$defs", {})
    return resultat


def schemas_de(*modeles: type[BaseModel]) -> dict[str, Any]:
    """Components for models a route documents by hand (the deposit's `metadonnees`)."""
    from pydantic.json_schema import models_json_schema

    _, definitions = models_json_schema(
        [(m, "validation") for m in modeles], ref_template=COMPOSANTS + "{model}"
    )
    resultat: dict[str, Any] = definitions.get("$defs", {})
    return resultat
