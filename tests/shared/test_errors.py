"""Bad input never becomes a 500: every 4xx is problem+json with a stable code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.consent.models import JOB_TABLES
from services.consent.settings import ConsentSettings
from shared.app import build_service_app
from shared.errors import Conflit
from shared.testing.apps import running


class Corps(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nom: str = Field(max_length=200)
    age: int


router = APIRouter(prefix="/consent/v1/essai")


@router.post("/echo")
async def echo(corps: Corps) -> dict[str, object]:
    return {"nom": corps.nom, "age": corps.age}


@router.post("/conflit")
async def conflit() -> None:
    raise Conflit("déjà fait")


@router.post("/panne")
async def panne() -> None:
    raise RuntimeError("boom: personne@example.org")  # must not leak into the response


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = ConsentSettings(env="test", var_dir=tmp_path, run_jobs_in_process=False, max_json_body=10_000)
    app = build_service_app(
        settings=settings, title="t", description="t", routers=[router], job_tables=JOB_TABLES
    )
    async with running(app) as c:
        yield c


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


async def test_valid_request_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/consent/v1/essai/echo", json={"nom": "Zoé", "age": 3})
    assert response.status_code == 200
    assert response.json() == {"nom": "Zoé", "age": 3}


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/consent/v1/essai/echo", content=b'{"nom": "x", ', headers={"content-type": "application/json"}
    )
    _problem(response, 422, "validation")


async def test_wrong_types_and_unknown_fields_list_the_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/consent/v1/essai/echo", json={"nom": 12, "age": "vieux", "role": "admin"})
    body = _problem(response, 422, "validation")
    fields = {e["champ"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert {"body.nom", "body.age", "body.role"} <= fields
    # The rejected values are never echoed back (they may be secrets or personal data).
    assert "vieux" not in response.text
    assert "admin" not in response.text


async def test_huge_string_is_refused_not_crashed(client: httpx.AsyncClient) -> None:
    response = await client.post("/consent/v1/essai/echo", json={"nom": "x" * 5000, "age": 1})
    _problem(response, 422, "validation")


async def test_oversize_body_by_length_and_streamed(client: httpx.AsyncClient) -> None:
    big = b'{"nom": "' + b"x" * 20_000 + b'", "age": 1}'
    _problem(
        await client.post(
            "/consent/v1/essai/echo", content=big, headers={"content-type": "application/json"}
        ),
        413,
        "trop-volumineux",
    )

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(30):
            yield b"x" * 1000

    _problem(
        await client.post(
            "/consent/v1/essai/echo", content=chunks(), headers={"content-type": "application/json"}
        ),
        413,
        "trop-volumineux",
    )


async def test_unknown_route_and_wrong_method(client: httpx.AsyncClient) -> None:
    _problem(await client.get("/consent/v1/nulle-part"), 404, "introuvable")
    _problem(await client.get("/consent/v1/essai/echo"), 405, "methode-non-autorisee")


async def test_service_error_and_unexpected_error(client: httpx.AsyncClient) -> None:
    body = _problem(await client.post("/consent/v1/essai/conflit"), 409, "conflit")
    assert body["detail"] == "déjà fait"
    response = await client.post("/consent/v1/essai/panne")
    assert response.status_code == 500
    assert response.json()["code"] == "erreur-interne"
    assert "personne@example.org" not in response.text


async def test_security_headers_and_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/consent/healthz", headers={"X-Request-Id": "abcdef0123456789"})
    assert response.json() == {"statut": "ok", "service": "consent"}
    assert response.headers["x-request-id"] == "abcdef0123456789"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    # A malformed request id is replaced, not reflected.
    response = await client.get("/consent/healthz", headers={"X-Request-Id": "<script>"})
    assert response.headers["x-request-id"] != "<script>"
