"""No dead end for a person's browser: the home page at `/`, friendly French HTML pages for the errors
it can meet (404, 405, rate limit, locked account, expired link) while API clients keep problem+json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from shared.erreurs_html import page_erreur, prefere_html
from shared.http import STRICT_CSP
from shared.migrate import upgrade
from shared.testing.apps import running
from signif.embedded import SERVICES, create_embedded_app

NAVIGATEUR = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    common = {"env": "test", "var_dir": tmp_path, "now": "2026-03-02T09:00:00Z"}
    for service in SERVICES:
        await upgrade(service, f"sqlite+aiosqlite:///{tmp_path / (service + '.db')}")
    overrides = {s: dict(common) for s in SERVICES}
    overrides["consent"]["defis_par_client"] = 1
    app = create_embedded_app(overrides=overrides)
    async with running(app) as c:
        yield c


def _page(reponse: httpx.Response, statut: int, titre: str) -> None:
    assert reponse.status_code == statut
    assert reponse.headers["content-type"].startswith("text/html")
    assert reponse.headers["content-security-policy"] == STRICT_CSP
    assert f"<h1>{titre}</h1>" in reponse.text
    assert '<html lang="fr">' in reponse.text
    assert "<script" not in reponse.text
    for lien in ('href="/"', 'href="/coffre/retrait"', 'href="/consent/declaration"'):
        assert lien in reponse.text


async def test_home_page_leads_to_declaring_the_space_and_the_docs(client: httpx.AsyncClient) -> None:
    accueil = await client.get("/", headers=NAVIGATEUR)
    assert accueil.status_code == 200
    assert accueil.headers["content-security-policy"] == STRICT_CSP
    assert "set-cookie" not in accueil.headers
    for lien in (
        "/consent/declaration",
        "/coffre/retrait",
        "/consent/espace",
        "/coffre/docs",
        "/consent/docs",
    ):
        assert f'href="{lien}"' in accueil.text
    # Each of them answers.
    for lien in ("/consent/declaration", "/coffre/retrait", "/consent/espace", "/coffre/docs"):
        assert (await client.get(lien, headers=NAVIGATEUR)).status_code == 200, lien


async def test_browsers_get_pages_and_apis_keep_problem_json(client: httpx.AsyncClient) -> None:
    _page(await client.get("/coffre/nulle-part", headers=NAVIGATEUR), 404, "Page introuvable")
    _page(await client.get("/nulle-part", headers=NAVIGATEUR), 404, "Page introuvable")
    methode_page = await client.get("/consent/v1/comptes/connexion", headers=NAVIGATEUR)
    _page(methode_page, 405, "Cette page ne s'ouvre pas ainsi")
    assert methode_page.headers["allow"] == "POST"  # the page keeps what the status means (RFC 9110)
    for accept in (
        {},
        {"Accept": "application/json"},
        {"Accept": "*/*"},
        {"Accept": "application/problem+json"},
    ):
        api = await client.get("/coffre/nulle-part", headers=accept)
        assert api.status_code == 404
        assert api.headers["content-type"] == "application/problem+json"
        assert api.json()["code"] == "introuvable"
        methode = await client.get("/consent/v1/comptes/connexion", headers=accept)
        assert (methode.status_code, methode.headers["content-type"]) == (405, "application/problem+json")


async def test_rate_limit_is_a_page_with_its_retry_after(client: httpx.AsyncClient) -> None:
    corps = {"email": "elise@example.org", "mot_de_passe": "un mot de passe"}
    premiere = await client.post("/consent/v1/comptes/connexion", json=corps, headers=NAVIGATEUR)
    assert premiere.status_code == 200
    seconde = await client.post("/consent/v1/comptes/connexion", json=corps, headers=NAVIGATEUR)
    _page(seconde, 429, "Trop de tentatives")
    api = await client.post("/consent/v1/comptes/connexion", json=corps)
    assert (api.status_code, api.json()["code"]) == (429, "trop-de-requetes")


def test_accept_negotiation() -> None:
    assert prefere_html(NAVIGATEUR["Accept"])
    assert prefere_html("text/html")
    assert not prefere_html(None)
    assert not prefere_html("*/*")
    assert not prefere_html("application/json")
    assert not prefere_html("application/json, text/html;q=0.5")
    assert not prefere_html("text/html;q=0")
    assert not prefere_html("text/html;q=abc")
    assert prefere_html("text/html, application/problem+json;q=0.9")


def test_locked_account_and_expired_link_pages() -> None:
    verrou = page_erreur(429, "compte-verrouille", retry_after="900")
    assert verrou.status_code == 429
    assert verrou.headers["retry-after"] == "900"
    texte = bytes(verrou.body).decode()
    assert "<h1>Compte temporairement verrouillé</h1>" in texte
    assert "nouveau mot de passe" in texte
    expire = bytes(page_erreur(410).body).decode()
    assert "<h1>Lien expiré</h1>" in expire
    assert 'href="/coffre/retrait"' in expire
