"""The embedded deployment: three services behind one dispatcher, one shared test clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from shared.migrate import upgrade
from shared.testing.apps import running
from signif.embedded import SERVICES, create_embedded_app

METRIQUES = "jeton-de-prometheus-pour-les-tests"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    common = {"env": "test", "var_dir": tmp_path, "now": "2026-03-02T09:00:00Z", "metrics_token": METRIQUES}
    for service in SERVICES:
        await upgrade(service, f"sqlite+aiosqlite:///{tmp_path / (service + '.db')}")
    app = create_embedded_app(overrides={s: dict(common) for s in SERVICES})
    async with running(app) as c:
        yield c


async def test_health_readiness_openapi_and_metrics(client: httpx.AsyncClient) -> None:
    for service in SERVICES:
        assert (await client.get(f"/{service}/healthz")).json() == {"statut": "ok", "service": service}
        assert (await client.get(f"/{service}/readyz")).json() == {"statut": "pret", "service": service}
        doc = (await client.get(f"/{service}/openapi.json")).json()
        assert doc["openapi"].startswith("3.")
        assert "Probleme" in doc["components"]["schemas"]
        assert (await client.get(f"/{service}/docs")).status_code == 200
        metrics = await client.get(f"/{service}/metrics", headers={"Authorization": f"Bearer {METRIQUES}"})
        assert "signif_http_requests_total" in metrics.text
        assert f'service="{service}"' in metrics.text


async def test_unknown_prefix_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nulle-part")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "introuvable"


async def test_test_clock_is_shared_and_moves_forward_only(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_test/horloge")).json() == {
        "maintenant": "2026-03-02T09:00:00Z",
        "figee": True,
    }
    moved = await client.post("/_test/horloge", json={"maintenant": "2026-03-03T05:00:00Z"})
    assert moved.json()["maintenant"] == "2026-03-03T05:00:00Z"
    # Each service reads the same clock.
    seen = (await client.get("/coffre/_test/horloge")).json()
    assert seen["maintenant"] == "2026-03-03T05:00:00Z"
    back = await client.post("/_test/horloge", json={"maintenant": "2026-03-01T00:00:00Z"})
    assert back.status_code == 409
    assert back.json()["code"] == "conflit"
    bad = await client.post("/_test/horloge", json={"maintenant": "demain"})
    assert bad.status_code == 422
    # The first call runs the periodic jobs that became due; then nothing is due any more.
    first = (await client.post("/_test/jobs")).json()["executes"]
    assert first > 0, "the coffre's periodic jobs (checkpoint, audit, cleanup) were due"
    assert (await client.post("/_test/jobs")).json() == {"executes": 0}
