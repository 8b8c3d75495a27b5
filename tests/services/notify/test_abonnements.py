"""Webhook subscriptions: secret shown once and stored encrypted, office scoping, URL validation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.notify.abonnements.url import reseaux, valider_url, verifier
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
        "http://93.184.215.14/x",  # public, but plain http: only to an allow-listed address
        "https://127.0.0.1/x",
        "https://127.1.2.3/x",
        "https://10.1.2.3/x",
        "https://172.16.0.1/x",
        "https://192.168.0.10/x",
        "https://100.64.0.1/x",
        "https://169.254.169.254/latest/meta-data",
        "https://224.0.0.1/x",
        "https://0.0.0.0/x",
        "https://[::1]/x",
        "https://[::]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://[::ffff:169.254.169.254]/x",
        "https://[64:ff9b::a9fe:a9fe]/x",  # NAT64 form of the metadata address
        "https://[2002:a9fe:a9fe::1]/x",  # 6to4 form of it
        "https://[fe80::1]/x",
        "https://[fd00::1]/x",
        "https://[ff02::1]/x",
        "https://localhost/x",
        "https://printer.local/x",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://intranet/x",
    ],
)
async def test_non_public_or_plain_http_targets_are_refused(url: str) -> None:
    with pytest.raises(UrlWebhookRefusee):
        await verifier(valider_url(url), reseaux([]))


async def test_a_public_https_url_passes() -> None:
    url = "https://93.184.215.14:8443/signif?office=1"
    assert valider_url(url) == url
    cible = await verifier(url, reseaux([]))
    assert (str(cible.adresse), cible.port) == ("93.184.215.14", 8443)


async def test_only_the_allow_list_opens_a_local_receiver() -> None:
    url = "http://127.0.0.1:8080/hook"
    with pytest.raises(UrlWebhookRefusee):
        await verifier(url, reseaux([]))
    assert (await verifier(url, reseaux(["127.0.0.1/32"]))).port == 8080
    # The allow-list names networks, not "anything private": the rest stays refused.
    with pytest.raises(UrlWebhookRefusee):
        await verifier("https://169.254.169.254/", reseaux(["127.0.0.1/32"]))
