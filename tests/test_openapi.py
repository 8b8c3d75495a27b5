"""The three OpenAPI documents are the contract an office's software is written against (issue 15):
valid OpenAPI 3.1, and for every operation what `tests/openapi_proprietes.py` checks — who may call
it (security scheme applied, 401/403 documented), every refusal as a problem+json with its code from
an error class, typed bodies with examples that validate against their schemas."""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from shared.errors import ServiceError
from shared.migrate import upgrade
from shared.openapi import routes_documentees
from shared.testing.apps import running
from signif.catalogue import codes
from signif.embedded import SERVICES, EmbeddedApp, create_embedded_app
from tests.openapi_proprietes import PROBLEME, manques, operations


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
    # Written in the commits that follow: the operations' descriptions and the remaining typed bodies.
    a_venir = ("no description of what it does", "untyped object")
    assert [g for g in gaps if not any(a in g for a in a_venir)] == []


async def test_the_checks_catch_what_they_check(documents: dict[str, dict[str, Any]]) -> None:
    """The property checker fails on a document that lacks what it checks (so a pass means something)."""
    connus = {c.code for c in codes()}
    doc = documents["coffre"]
    _, _, op = next(o for o in operations(doc) if o[2].get("security"))
    del op["responses"]["401"]
    op["security"] = []
    op["summary"] = ""
    op["responses"]["404"] = {"description": "x", "content": {PROBLEME: {"schema": {"type": "object"}}}}
    gaps = manques(doc, connus)
    assert any("no summary" in g for g in gaps)
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
