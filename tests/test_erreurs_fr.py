"""The same fault answers the same on the three services, in French.

Every operation of the three public OpenAPI documents that takes a JSON body is sent a form body
instead, with each role's token in turn: the first answer that is not an authentication or access
refusal is 415 `type-non-supporte` (never 422). Validation errors carry French messages, never
pydantic's English ones.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.issuer import DevIssuer
from shared.migrate import upgrade
from shared.testing.apps import running
from signif.embedded import SERVICES, create_embedded_app

FORMULAIRE = "application/x-www-form-urlencoded"
ROLES = ("commissaire", "operateur", "autorite_judiciaire", "service")
OFFICE = {"id": "office-1", "nom": "Office", "commune_insee": "75056", "cour_appel": "paris"}
#: pydantic's English messages start like this; none may reach a caller.
ANGLAIS = re.compile(r"^(Input should|Field required|Extra inputs|String should|Value error|JSON decode)")


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The embedded deployment on ASGI, its development keys under `tmp_path/keys`."""
    common = {"env": "test", "var_dir": tmp_path, "now": "2026-03-02T09:00:00Z"}
    for service in SERVICES:
        await upgrade(service, f"sqlite+aiosqlite:///{tmp_path / (service + '.db')}")
    async with running(create_embedded_app(overrides={s: dict(common) for s in SERVICES})) as c:
        yield c


def _jeton(var: Path, role: str, service: str) -> str:
    extra: dict[str, Any] = {}
    if role == "commissaire":
        extra = {"nom": "Me Test", "office": OFFICE}
    if role == "autorite_judiciaire":
        extra = {"juridiction": "TJ Paris"}
    return DevIssuer(var / "keys").token(role=role, sub=f"{role}-1", audience=service, **extra)


async def _operations_json(client: httpx.AsyncClient) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for service in SERVICES:
        document = (await client.get(f"/{service}/openapi.json")).json()
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if "application/json" in operation.get("requestBody", {}).get("content", {}):
                    concret = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
                    found.append((service, method.upper(), concret))
    return found


async def test_a_form_body_on_a_json_operation_is_415_everywhere(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    var = tmp_path
    operations = await _operations_json(client)
    assert len(operations) >= 15, operations
    verdicts: dict[str, int] = {}
    for service, method, path in operations:
        for role in (None, *ROLES):
            headers = {"content-type": FORMULAIRE}
            if role is not None:
                headers["authorization"] = f"Bearer {_jeton(var, role, service)}"
            reponse = await client.request(method, path, content=b"a=b", headers=headers)
            if reponse.status_code not in (401, 403):
                break
        verdicts[f"{method} {path}"] = reponse.status_code
        assert reponse.status_code == 415, (method, path, reponse.text)
        probleme = reponse.json()
        assert probleme["code"] == "type-non-supporte"
        assert (
            probleme["detail"] == "Corps attendu en application/json, reçu application/x-www-form-urlencoded."
        )
    assert any(p.startswith("POST /consent/v1/declarations") for p in verdicts)
    assert any(p.startswith("POST /notify/v1/abonnements") for p in verdicts)


async def test_a_json_body_on_a_form_operation_is_415(client: httpx.AsyncClient) -> None:
    """The proofs' upload takes multipart: a JSON body is refused for its type before anything else."""
    reponse = await client.post(
        f"/consent/v1/declarations/{uuid.uuid4()}/pieces",
        json={"type": "carte_identite"},
        headers={"X-Jeton-Gestion": "jeton-quelconque"},
    )
    assert reponse.status_code == 415, reponse.text
    assert reponse.json()["code"] == "type-non-supporte"
    assert reponse.json()["detail"] == "Corps attendu en multipart/form-data, reçu application/json."


async def test_validation_errors_are_in_french(client: httpx.AsyncClient) -> None:
    reponse = await client.post("/consent/v1/declarations", json={"personne": {}, "inconnu": 1})
    assert reponse.status_code == 422
    erreurs = {e["champ"]: e for e in reponse.json()["errors"]}
    assert erreurs["body.contact"]["message"] == "champ obligatoire absent"
    assert erreurs["body.contact"]["type"] == "missing"
    assert erreurs["body.personne"]["message"] == "le champ « type » est obligatoire"
    assert erreurs["body.inconnu"]["message"] == "champ inconnu (non prévu par le contrat)"
    illisible = await client.post(
        "/consent/v1/declarations", content=b"{", headers={"content-type": "application/json"}
    )
    assert illisible.json()["errors"][0]["message"] == "JSON invalide"
    for refus in (reponse, illisible):
        assert not [e for e in refus.json()["errors"] if ANGLAIS.match(e["message"])]


async def test_framework_refusals_are_in_french(client: httpx.AsyncClient) -> None:
    reponse = await client.delete("/consent/v1/mentions")
    assert reponse.status_code == 405
    assert reponse.json()["detail"] == "Cette méthode n'est pas acceptée à cette adresse."
    recule = await client.post("/_test/horloge", json={"maintenant": "2020-01-01T00:00:00Z"})
    assert recule.status_code == 409
    assert recule.json()["detail"].startswith("l'horloge de test n'avance que vers le futur")
