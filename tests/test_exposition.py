"""Issue 19, finding 7, replayed from outside: the metrics, the docs page, the internal routes in the
OpenAPI documents and the caching of answers that carry personal data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Route

from shared.http import DOCS_CSP, REDOC_CSP
from shared.issuer import DevIssuer
from shared.migrate import upgrade
from shared.testing.apps import running
from shared.testing.browser import artifacts_dir, chromium, port_libre, servir
from signif.embedded import SERVICES, create_embedded_app

METRIQUES = "jeton-de-prometheus"


@pytest.fixture
def deploiement(tmp_path: Path) -> object:
    common = {"env": "test", "var_dir": tmp_path, "now": "2026-03-02T09:00:00Z", "metrics_token": METRIQUES}
    return create_embedded_app(overrides={s: dict(common) for s in SERVICES})


@pytest.fixture
async def client(tmp_path: Path, deploiement: object) -> AsyncIterator[httpx.AsyncClient]:
    for service in SERVICES:
        await upgrade(service, f"sqlite+aiosqlite:///{tmp_path / (service + '.db')}")
    async with running(deploiement) as c:
        yield c


async def test_metrics_need_the_token(client: httpx.AsyncClient) -> None:
    for service in SERVICES:
        url = f"/{service}/metrics"
        sans = await client.get(url)
        faux = await client.get(url, headers={"Authorization": "Bearer pas-le-bon"})
        assert (sans.status_code, sans.json()["code"]) == (401, "authentification")
        assert faux.status_code == 401
        assert "signif_" not in sans.text + faux.text
        bon = await client.get(url, headers={"Authorization": f"Bearer {METRIQUES}"})
        assert bon.status_code == 200
        assert "signif_http_requests_total" in bon.text


async def test_without_the_setting_there_is_no_metrics_endpoint(tmp_path: Path) -> None:
    common = {"env": "test", "var_dir": tmp_path, "now": "2026-03-02T09:00:00Z"}
    for service in SERVICES:
        await upgrade(service, f"sqlite+aiosqlite:///{tmp_path / (service + '.db')}")
    app = create_embedded_app(overrides={s: dict(common) for s in SERVICES})
    async with running(app) as c:
        assert (await c.get("/coffre/metrics")).status_code == 404


async def test_internal_routes_are_out_of_the_public_documents(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    issuer = DevIssuer(tmp_path / "keys", issuer="signif-dev")
    for service in SERVICES:
        public = (await client.get(f"/{service}/openapi.json")).json()
        assert public["paths"]
        assert not [p for p in public["paths"] if "/interne/" in p]
        url = f"/{service}/v1/interne/openapi.json"
        assert (await client.get(url)).status_code == 401
        commissaire = issuer.token(role="commissaire", sub="cj-1", audience=service, office={"id": "o"})
        assert (await client.get(url, headers={"Authorization": f"Bearer {commissaire}"})).status_code == 403
        jeton = issuer.token(role="service", sub="service:coffre", audience=service)
        interne = (await client.get(url, headers={"Authorization": f"Bearer {jeton}"})).json()
        assert interne["paths"]
        assert all(f"/{service}/v1/interne/" in p for p in interne["paths"])
        # Nor do the schemas only the internal routes use stay in the public document.
        assert set(interne["components"]["schemas"]) - set(public["components"]["schemas"])
    consent = (await client.get("/consent/openapi.json")).json()
    assert "VerificationOui" not in consent["components"]["schemas"]


async def test_api_answers_are_not_cached(client: httpx.AsyncClient) -> None:
    for url in ("/consent/v1/mentions", "/consent/v1/declarations/inconnue", "/coffre/v1/actes"):
        assert (await client.get(url)).headers["cache-control"] == "no-store"


async def test_the_docs_page_has_a_csp_and_only_local_assets(client: httpx.AsyncClient) -> None:
    for service in SERVICES:
        page = await client.get(f"/{service}/docs")
        assert page.headers["content-security-policy"] == DOCS_CSP
        assert "<script>" not in page.text
        assert "http" not in page.text  # no CDN, no absolute URL
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "init.js"):
            r = await client.get(f"/{service}/docs/{asset}")
            assert r.status_code == 200
            assert len(r.content) > 100
        redoc = await client.get(f"/{service}/redoc")
        assert redoc.headers["content-security-policy"] == REDOC_CSP
        assert "<script>" not in redoc.text
        assert "http" not in redoc.text
        script = await client.get(f"/{service}/redoc/redoc.standalone.js")
        assert script.status_code == 200
        assert len(script.content) > 100_000


async def test_the_docs_pages_render_offline_under_their_csp_in_chromium(
    tmp_path: Path, deploiement: object
) -> None:
    """Swagger UI and ReDoc of the three services, with every request leaving loopback refused."""
    for service in SERVICES:
        await upgrade(service, f"sqlite+aiosqlite:///{tmp_path / (service + '.db')}")
    port = port_libre()
    with servir(deploiement, port):
        async with chromium() as browser:
            page = await browser.new_page()
            violations: list[str] = []
            ailleurs: list[str] = []
            page.on(
                "console",
                lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
            )

            async def seulement_la_boucle_locale(route: Route) -> None:
                if urlsplit(route.request.url).hostname in ("127.0.0.1", None):
                    await route.continue_()
                else:
                    ailleurs.append(route.request.url)
                    await route.abort()

            await page.route("**/*", seulement_la_boucle_locale)
            for service in SERVICES:
                await page.goto(f"http://127.0.0.1:{port}/{service}/docs")
                titre = page.locator(".swagger-ui .info .title")
                await titre.wait_for()
                assert "Signif" in await titre.inner_text()
                await page.screenshot(path=str(artifacts_dir() / f"docs-{service}.png"), full_page=True)
                await page.goto(f"http://127.0.0.1:{port}/{service}/redoc")
                entete = page.locator("redoc h1").first
                await entete.wait_for()
                assert "Signif" in await entete.inner_text()
                assert await page.locator("redoc [data-section-id]").count() > 3  # the operations are listed
                await page.screenshot(path=str(artifacts_dir() / f"redoc-{service}.png"))
            # ReDoc's sidebar shows Redocly's logo from its CDN: the CSP blocks it before any request
            # (the image hides itself on error); nothing else is refused, nothing leaves loopback.
            logo = "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates"
            assert [v for v in violations if not v.startswith(logo)] == []
            assert ailleurs == []
