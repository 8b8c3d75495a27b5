"""Each service's API documents and docs page, and its metrics endpoint.

- `/<service>/openapi.json`: the public OpenAPI document, without the internal routes
  (`/<service>/v1/interne/...`, for the other services only).
- `/<service>/v1/interne/openapi.json`: the internal routes' document, behind the `service` role
  like the routes it describes (the public entry point serves it only to a service's token).
- `/<service>/docs`: Swagger UI from the service's own origin — its script and stylesheet are the
  `fastapi-offline` package's copies, and the start-up script is a file, not inline — under a strict
  CSP (`shared.http.DOCS_CSP`): no CDN, no inline script, on the same origin as the personal pages.
- `/<service>/redoc`: the same document in ReDoc, its one script the package's copy too, under
  `shared.http.REDOC_CSP` (ReDoc styles itself at run time and indexes in a blob worker; Redocly's
  logo, fetched from its CDN by the script, is blocked by the CSP before any request).
- `/<service>/metrics`: Prometheus text behind `SIGNIF_METRICS_TOKEN` (`Authorization: Bearer`,
  compared in constant time); without the setting the endpoint does not exist (404). Prometheus
  scrapes it with `authorization: {credentials_file: ...}` in its `scrape_configs`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import fastapi_offline
from fastapi import APIRouter, FastAPI, Header
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, Response

from shared.auth import CurrentService
from shared.crypto.tokens import constant_time_equals
from shared.errors import Authentification, Introuvable
from shared.http import DOCS_CSP, REDOC_CSP
from shared.openapi import completer

_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
_CACHE = "public, max-age=86400"
_COMPOSANTS = "#/components/schemas/"
_PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{titre} — documentation de l'API</title>
<link rel="stylesheet" href="/{service}/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/{service}/docs/swagger-ui-bundle.js"></script>
<script src="/{service}/docs/init.js"></script>
</body>
</html>
"""
_REDOC = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{titre} — référence de l'API (ReDoc)</title>
</head>
<body>
<redoc spec-url="/{service}/openapi.json"></redoc>
<script src="/{service}/redoc/redoc.standalone.js"></script>
</body>
</html>
"""
_INIT = """window.ui = SwaggerUIBundle({{
  url: "/{service}/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout"
}});
"""


def _refs(valeur: Any, vus: set[str]) -> None:
    if isinstance(valeur, dict):
        ref = valeur.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPOSANTS):
            vus.add(ref.removeprefix(_COMPOSANTS))
        for v in valeur.values():
            _refs(v, vus)
    elif isinstance(valeur, list):
        for v in valeur:
            _refs(v, vus)


def _partie(
    complet: dict[str, Any], garder: Callable[[str], bool], titre: str, *, webhooks: bool
) -> dict[str, Any]:
    """The document restricted to the paths `garder` keeps (and the webhooks or not), with only the
    schemas they reach."""
    schema = {**complet, "info": {**complet["info"], "title": titre}}
    schema["paths"] = {p: v for p, v in complet.get("paths", {}).items() if garder(p)}
    if not webhooks:
        schema.pop("webhooks", None)
    tous = complet.get("components", {}).get("schemas", {})
    vus: set[str] = {"Probleme"}
    _refs(schema["paths"], vus)
    _refs(schema.get("webhooks", {}), vus)
    while True:
        avant = len(vus)
        for nom in list(vus):
            _refs(tous.get(nom), vus)
        if len(vus) == avant:
            break
    employees = {
        t
        for item in [*schema["paths"].values(), *schema.get("webhooks", {}).values()]
        for op in item.values()
        if isinstance(op, dict)
        for t in op.get("tags", [])
    }
    schema["tags"] = [t for t in complet.get("tags", []) if t["name"] in employees]
    schema["components"] = {
        **complet.get("components", {}),
        "schemas": {n: tous[n] for n in sorted(vus) if n in tous},
    }
    return schema


def installer(
    app: FastAPI,
    service: str,
    *,
    composants: dict[str, Any] | None = None,
    tags: list[dict[str, Any]] | None = None,
    metrics: Callable[[], Response],
    jeton_metrics: Callable[[], str | None],
) -> None:
    """Mount the documents, the docs page and the metrics endpoint (see the module docstring)."""

    interne = f"/{service}/v1/interne/"
    complet: dict[str, Any] = {}

    def document_complet() -> dict[str, Any]:
        if not complet:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                webhooks=app.webhooks.routes,
                tags=tags,
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(composants or {})
            complet.update(completer(schema, app.routes))
        return complet

    def publique() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _partie(
                document_complet(), lambda p: not p.startswith(interne), app.title, webhooks=True
            )
        return app.openapi_schema

    app.openapi = publique  # type: ignore[method-assign]
    router = APIRouter(prefix=f"/{service}", include_in_schema=False)

    @router.get("/v1/interne/openapi.json")
    async def openapi_interne(_service: CurrentService) -> dict[str, Any]:
        titre = f"{app.title} — routes internes"
        return _partie(document_complet(), lambda p: p.startswith(interne), titre, webhooks=False)

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        html = _PAGE.format(titre=app.title, service=service)
        return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-store"})

    @router.get("/redoc")
    async def redoc() -> HTMLResponse:
        html = _REDOC.format(titre=app.title, service=service)
        return HTMLResponse(html, headers={"Content-Security-Policy": REDOC_CSP, "Cache-Control": "no-store"})

    @router.get("/redoc/redoc.standalone.js")
    async def redoc_js() -> FileResponse:
        return FileResponse(
            _ASSETS / "redoc.standalone.js", media_type="text/javascript", headers={"Cache-Control": _CACHE}
        )

    @router.get("/docs/init.js")
    async def init() -> Response:
        js = _INIT.format(service=service)
        return Response(js, media_type="text/javascript", headers={"Cache-Control": _CACHE})

    @router.get("/docs/swagger-ui-bundle.js")
    async def bundle() -> FileResponse:
        return FileResponse(
            _ASSETS / "swagger-ui-bundle.js", media_type="text/javascript", headers={"Cache-Control": _CACHE}
        )

    @router.get("/docs/swagger-ui.css")
    async def css() -> FileResponse:
        return FileResponse(
            _ASSETS / "swagger-ui.css", media_type="text/css", headers={"Cache-Control": _CACHE}
        )

    @router.get("/metrics")
    async def lire_metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
        attendu = jeton_metrics()
        if attendu is None:
            raise Introuvable()
        scheme, _, presente = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not constant_time_equals(presente.strip(), attendu):
            raise Authentification("Jeton de métriques absent ou invalide.")
        return metrics()

    app.include_router(router)
