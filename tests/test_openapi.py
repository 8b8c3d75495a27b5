"""The three OpenAPI documents are the contract an office's software is written against (issue 15):
valid OpenAPI 3.1, and for every operation what `tests/openapi_proprietes.py` checks — who may call
it (security scheme applied, 401/403 documented), every refusal as a problem+json with its code from
an error class, typed bodies with examples that validate against their schemas."""

from __future__ import annotations

import ast
import copy
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

import services.coffre
from services.notify.webhooks import DONNEES
from shared.errors import ServiceError
from shared.migrate import upgrade
from shared.openapi import routes_documentees
from shared.testing.apps import running
from signif.catalogue import codes
from signif.embedded import SERVICES, EmbeddedApp, create_embedded_app
from tests.openapi_proprietes import PROBLEME, manques, operations
from tests.openapi_proprietes import valideur as valideur_de


@pytest.fixture(scope="module")
def var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("openapi")


@pytest.fixture(scope="module")
def deploiement(var: Path) -> EmbeddedApp:
    common = {"env": "test", "var_dir": var, "now": "2026-03-02T09:00:00Z"}
    return create_embedded_app(overrides={s: dict(common) for s in SERVICES})


@pytest.fixture
def documents(deploiement: EmbeddedApp) -> dict[str, dict[str, Any]]:
    """Each service's public document, as `/<service>/openapi.json` serves it (a copy per test)."""
    return {s: copy.deepcopy(deploiement.apps[s].openapi()) for s in SERVICES}


async def test_the_three_documents_are_valid_openapi_3_1(
    deploiement: EmbeddedApp, documents: dict[str, dict[str, Any]], var: Path
) -> None:
    for service in SERVICES:
        await upgrade(service, f"sqlite+aiosqlite:///{var / (service + '.db')}")
    async with running(deploiement) as client:
        servis = {s: (await client.get(f"/{s}/openapi.json")).json() for s in SERVICES}
    assert servis == documents
    for service, document in documents.items():
        assert document["openapi"].startswith("3.1"), service
        validate(document)  # raises OpenAPIValidationError with the faulty pointer


async def test_every_operation_says_what_the_contract_needs(documents: dict[str, dict[str, Any]]) -> None:
    connus = {c.code for c in codes()}
    gaps = [f"{service} {gap}" for service, doc in documents.items() for gap in manques(doc, connus)]
    assert gaps == []


def test_summaries_are_written_not_derived_from_function_names(
    deploiement: EmbeddedApp, documents: dict[str, dict[str, Any]]
) -> None:
    """FastAPI's fallback summary is the handler's name (« Creer Abonnement »): not a sentence for an
    integrator."""
    derives = []
    for service, app in deploiement.apps.items():
        for route in routes_documentees(app.routes):
            for methode in route.methods:
                op = documents[service]["paths"].get(route.path_format, {}).get(methode.lower(), {})
                if op.get("summary") == route.name.replace("_", " ").title():
                    derives.append(f"{methode} {route.path_format}")
    assert derives == []


async def test_the_checks_catch_what_they_check(documents: dict[str, dict[str, Any]]) -> None:
    """The property checker fails on a document that lacks what it checks (so a pass means something)."""
    connus = {c.code for c in codes()}
    doc = documents["coffre"]
    _, _, op = next(o for o in operations(doc) if o[2].get("security"))
    del op["responses"]["401"]
    op["security"] = []
    op["summary"] = ""
    op["responses"]["404"] = {"description": "x", "content": {PROBLEME: {"schema": {"type": "object"}}}}
    op["description"] = "Returns the acte and its events."
    gaps = manques(doc, connus)
    assert any("no summary" in g for g in gaps)
    assert any(g.startswith("in English") for g in gaps)
    assert any("404 is not a problem+json" in g for g in gaps)
    doc2 = documents["notify"]
    _, _, op = next(o for o in operations(doc2) if o[2].get("security"))
    del op["responses"]["401"]
    assert any("401 authentification not documented" in g for g in manques(doc2, connus))


async def test_bearer_operations_and_public_ones(documents: dict[str, dict[str, Any]]) -> None:
    coffre = documents["coffre"]
    assert coffre["components"]["securitySchemes"]["jeton"] == {
        **coffre["components"]["securitySchemes"]["jeton"],
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    depot = coffre["paths"]["/coffre/v1/actes"]["post"]
    assert depot["security"] == [{"jeton": []}]
    assert "`commissaire`" in depot["description"]
    assert coffre["paths"]["/coffre/v1/journal/checkpoint"]["get"]["security"] == []
    declarant = documents["consent"]["paths"]["/consent/v1/declarations/{declaration_id}"]["get"]
    assert declarant["security"] == [{"jetonGestion": []}, {"sessionDeclarant": []}]
    assert not [p for p in declarant.get("parameters", []) if p["in"] == "header"]
    assert "jeton-gestion-invalide" in declarant["responses"]["403"]["content"][PROBLEME]["examples"]


def _raises_directs(fonction: Any) -> set[type[ServiceError]]:
    """The `ServiceError` classes `fonction` raises by name in its own body."""
    arbre = ast.parse(textwrap.dedent(inspect.getsource(fonction)))
    espace = fonction.__globals__
    trouvees: set[type[ServiceError]] = set()
    for noeud in ast.walk(arbre):
        if isinstance(noeud, ast.Raise) and noeud.exc is not None:
            cible = noeud.exc.func if isinstance(noeud.exc, ast.Call) else noeud.exc
            if isinstance(cible, ast.Name):
                classe = espace.get(cible.id)
                if isinstance(classe, type) and issubclass(classe, ServiceError):
                    trouvees.add(classe)
    return trouvees


async def test_what_a_handler_raises_is_in_its_document(
    deploiement: EmbeddedApp, documents: dict[str, dict[str, Any]]
) -> None:
    """A refusal a route's handler raises itself is listed on its operation, with its status: adding a
    `raise` without documenting it fails here."""
    manquants: list[str] = []
    for service, app in deploiement.apps.items():
        document = documents[service]
        for route in routes_documentees(app.routes):
            for methode in route.methods:
                op = document["paths"].get(route.path_format, {}).get(methode.lower())
                if op is None:
                    continue
                for classe in _raises_directs(route.endpoint):
                    media = (
                        op["responses"].get(str(classe.status_code), {}).get("content", {}).get(PROBLEME, {})
                    )
                    if classe.code not in media.get("examples", {}):
                        manquants.append(f"{methode} {route.path_format}: {classe.status_code} {classe.code}")
    assert manquants == []


def test_the_deposit_describes_its_parts(documents: dict[str, dict[str, Any]]) -> None:
    coffre = documents["coffre"]
    corps = coffre["paths"]["/coffre/v1/actes"]["post"]["requestBody"]
    media = corps["content"]["multipart/form-data"]
    proprietes = media["schema"]["properties"]
    assert proprietes["metadonnees"]["$ref"] == "#/components/schemas/Metadonnees"
    assert media["encoding"]["metadonnees"]["contentType"] == "application/json"
    assert proprietes["document"]["format"] == "binary"
    assert proprietes["annexes"]["items"]["format"] == "binary"
    assert "50 Mio" in corps["description"]
    assert "64 Kio" in corps["description"]
    assert media["schema"]["required"] == ["metadonnees", "document"]
    metadonnees = coffre["components"]["schemas"]["Metadonnees"]
    assert {"reference_dossier", "nature", "requerant", "destinataire"} <= set(metadonnees["required"])
    assert metadonnees["additionalProperties"] is False
    valideur = valideur_de({"$ref": "#/components/schemas/Metadonnees"}, coffre)
    for exemple in metadonnees["examples"]:
        assert list(valideur.iter_errors(exemple)) == []
    assert list(valideur.iter_errors({**metadonnees["examples"][0], "inconnu": 1}))


def _types_emis() -> set[str]:
    """The event types the coffre's code emits (`emit_event(session, tables, "<type>", ...)`)."""
    types: set[str] = set()
    for fichier in Path(services.coffre.__file__).parent.rglob("*.py"):
        for noeud in ast.walk(ast.parse(fichier.read_text(encoding="utf-8"))):
            if (
                isinstance(noeud, ast.Call)
                and getattr(noeud.func, "id", getattr(noeud.func, "attr", None)) == "emit_event"
                and len(noeud.args) >= 3
                and isinstance(noeud.args[2], ast.Constant)
            ):
                types.add(str(noeud.args[2].value))
    return types


def test_every_event_the_coffre_emits_is_a_documented_webhook(documents: dict[str, dict[str, Any]]) -> None:
    notify = documents["notify"]
    assert set(notify["webhooks"]) == _types_emis() == set(DONNEES)
    for type_, item in notify["webhooks"].items():
        operation = item["post"]
        entetes = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert set(entetes) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert all(p["required"] for p in entetes.values())
        assert "v1a" in entetes["webhook-signature"]["description"]
        media = operation["requestBody"]["content"]["application/json"]
        schema = notify["components"]["schemas"][media["schema"]["$ref"].rsplit("/", 1)[1]]
        assert schema["properties"]["type"]["const"] == type_
        valideur = valideur_de(media["schema"], notify)
        for exemple in schema["examples"]:
            assert list(valideur.iter_errors(exemple)) == []
        assert "410" in operation["responses"]
    # The feed's `donnees` are the webhooks' shapes.
    lu = notify["components"]["schemas"]["EvenementLu"]["properties"]["donnees"]
    assert {r["$ref"].rsplit("/", 1)[1] for r in lu["anyOf"]} == {m.__name__ for m in DONNEES.values()}


def test_no_module_cites_api_md() -> None:
    """The contract is in docs/ (the repository's own); /work-era `API.md` is not shipped."""
    racine = Path(__file__).resolve().parent.parent
    citent = [
        str(f.relative_to(racine))
        for dossier in ("services", "shared", "signif", "docker", "examples", "tests")
        for f in (racine / dossier).rglob("*")
        if f.is_file()
        and f.suffix in {".py", ".md", ".html", "", ".toml"}
        and "API.md" in f.read_text("utf-8", "replace")
    ]
    assert citent == [str(Path(__file__).relative_to(racine))]


def test_what_a_generated_client_names_is_readable(documents: dict[str, dict[str, Any]]) -> None:
    """What openapi-python-client made of the documents (issue 15): function names from operationIds,
    Python packages from tags, model names from schema names. Handler names, ASCII tags, no
    `Body_<route id>` schema."""
    for service, document in documents.items():
        ids = [op["operationId"] for _, _, op in operations(document)]
        assert len(ids) == len(set(ids)), service
        assert not [i for i in ids if f"_{service}_" in i], service
        tags = {t for _, _, op in operations(document) for t in op.get("tags", [])}
        assert all(t.isascii() for t in tags), tags
        assert {t["name"] for t in document["tags"]} == tags
        assert not [n for n in document["components"]["schemas"] if n.startswith("Body_")]
    depot = documents["coffre"]["paths"]["/coffre/v1/actes"]["post"]
    assert depot["operationId"] == "deposer_acte"
    assert depot["requestBody"]["content"]["multipart/form-data"]["schema"]["additionalProperties"] is False
    assert "CorpsDeposerPiece" in documents["consent"]["components"]["schemas"]


_ROUTE = re.compile(r"\b(GET|POST|DELETE|PUT|PATCH) (/[A-Za-z0-9_./{}\-]*[A-Za-z0-9_}])")


def _forme(chemin: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", chemin)


@pytest.mark.parametrize("page", ["fr/contrat.md", "en/contract.md"])
def test_the_contract_page_and_the_documents_name_the_same_operations(
    documents: dict[str, dict[str, Any]], page: str
) -> None:
    """docs/ is written against the documents: every public operation is in the contract page (paths
    relative to their service's prefix there), and every route the page names exists (the test clock's
    `/_test/...` aside, absent from production)."""
    operations_ = {(m.upper(), _forme(p)) for doc in documents.values() for p, m, _ in operations(doc)}
    texte = (Path(__file__).resolve().parent.parent / "docs" / page).read_text(encoding="utf-8")
    nommees = {(m, _forme(p)) for m, p in _ROUTE.findall(texte) if not p.startswith("/_test/")}

    def candidates(methode: str, chemin: str) -> set[tuple[str, str]]:
        return {(methode, chemin)} | {(methode, f"/{s}/v1{chemin}") for s in SERVICES}

    sante = {(m, p) for m, p in operations_ if p.endswith(("/healthz", "/readyz"))}
    assert "/<service>/healthz" in texte
    absentes = sorted(o for o in operations_ - sante if not any(o in candidates(m, p) for m, p in nommees))
    inconnues = sorted((m, p) for m, p in nommees if not candidates(m, p) & operations_)
    assert (absentes, inconnues) == ([], [])
