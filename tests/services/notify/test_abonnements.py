"""Webhook subscriptions: secret shown once and stored encrypted, office scoping, URL validation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.notify.abonnements.url import valider_url
from services.notify.errors import UrlWebhookRefusee
from services.notify.models import Abonnement
from tests.services.notify.conftest import Notify


async def test_create_list_delete_with_the_secret_shown_once(notify: Notify) -> None:
    created = await notify.subscribe(notify.receiver.url + "/hook", ["acte.pris_connaissance"])
    assert created["secret"].startswith("whsec_")
    assert created["statut"] == "actif"

    listed = await notify.client.get("/notify/v1/abonnements", headers=notify.commissaire())
    assert listed.status_code == 200
    [element] = listed.json()["elements"]
    assert element["id"] == created["id"]
    assert "secret" not in element

    async with notify.runtime.db.transaction() as session:
        row = await session.scalar(select(Abonnement).where(Abonnement.id == created["id"]))
    assert row is not None
    assert created["secret"].encode() not in row.secret_chiffre
    assert created["secret"][6:].encode() not in row.secret_chiffre

    other = await notify.client.delete(
        f"/notify/v1/abonnements/{created['id']}", headers=notify.commissaire("office-lyon-2")
    )
    assert other.status_code == 404
    deleted = await notify.client.delete(
        f"/notify/v1/abonnements/{created['id']}", headers=notify.commissaire()
    )
    assert deleted.status_code == 204
    after = await notify.client.get("/notify/v1/abonnements", headers=notify.commissaire())
    assert after.json()["elements"] == []


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.com/x", "http://user:pw@hooks.example.com/", "https:///x", "not a url"]
)
async def test_the_api_refuses_unusable_urls(notify: Notify, url: str) -> None:
    response = await notify.client.post(
        "/notify/v1/abonnements", json={"url": url, "types": ["acte.envoye"]}, headers=notify.commissaire()
    )
    assert response.status_code == 422
    assert response.json()["code"] == "url-webhook-refusee"


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://192.168.0.10/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://[fd00::1]/x",
        "https://localhost/x",
        "https://printer.local/x",
        "https://intranet/x",
        "https://0.0.0.0/x",
    ],
)
def test_production_refuses_plain_http_and_non_public_hosts(url: str) -> None:
    with pytest.raises(UrlWebhookRefusee):
        valider_url(url, production=True, allow_private=False)


def test_production_accepts_a_public_https_url() -> None:
    url = "https://hooks.example.com:8443/signif?office=1"
    assert valider_url(url, production=True, allow_private=False) == url


def test_development_accepts_a_local_receiver() -> None:
    assert valider_url("http://127.0.0.1:8080/hook", production=False, allow_private=True)
