"""Issue 19, finding 5, replayed as the attacker's requests: an office subscribing internal addresses,
a name that changes its answer between the check and the connection (DNS rebinding), and the
delivery records used as a probe of the platform's network."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import httpx
import pytest

from services.notify.abonnements.url import Adresse, TransportVerifie, reseaux
from services.notify.errors import UrlWebhookRefusee
from shared.testing.databases import sqlite_url
from shared.testing.webhooks import webhook_receiver
from tests.services.notify.conftest import Notify, start_notify

INTERNES = [
    "http://169.254.169.254/latest/meta-data/",
    "https://169.254.169.254/latest/meta-data/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://10.0.0.5/hook",
    "https://192.168.1.1/hook",
    "https://[::ffff:10.0.0.5]/hook",
    "https://[fe80::1]/hook",
]


@pytest.mark.parametrize("url", INTERNES)
async def test_internal_addresses_are_refused_at_subscription(notify: Notify, url: str) -> None:
    r = await notify.client.post(
        "/notify/v1/abonnements", json={"url": url, "types": ["acte.envoye"]}, headers=notify.commissaire()
    )
    assert (r.status_code, r.json()["code"]) == (422, "url-webhook-refusee")


async def test_the_test_environment_alone_opens_no_local_receiver(tmp_path: Path) -> None:
    """`SIGNIF_ENV=test` without the allow-list: a loopback receiver is refused like any other."""
    async with start_notify(tmp_path, sqlite_url(tmp_path), webhook_allowlist=[]) as notify:
        r = await notify.client.post(
            "/notify/v1/abonnements",
            json={"url": notify.receiver.url + "/hook", "types": ["acte.envoye"]},
            headers=notify.commissaire(),
        )
        assert (r.status_code, r.json()["code"]) == (422, "url-webhook-refusee")


async def test_a_refused_target_is_recorded_without_timing_nor_bytes(tmp_path: Path) -> None:
    """A subscription made while its address was allowed, delivered once the allow-list no longer
    holds it: refused at delivery, nothing sent, and the record tells nothing about the network."""
    url = sqlite_url(tmp_path)
    async with webhook_receiver() as receiver:
        async with start_notify(tmp_path, url, receiver=receiver) as notify:
            await notify.subscribe(receiver.url + "/hook", ["acte.envoye"])
        async with start_notify(tmp_path, url, receiver=receiver, webhook_allowlist=[]) as notify:
            emis = await notify.emit("acte.envoye", {"acte_id": "a-1", "office_id": "office-paris-1"})
            assert emis.status_code in (200, 201, 202), emis.text
            await notify.run_jobs()
            livraisons = await notify.client.get("/notify/v1/livraisons", headers=notify.commissaire())
        assert receiver.to("/hook") == []
    [livraison] = livraisons.json()["elements"]
    [tentative] = livraison["tentatives"]
    assert tentative["statut"] == "echec"
    assert tentative["classe_erreur"] == "adresse_refusee"
    assert (tentative["duree_ms"], tentative["octets_lus"], tentative["code_reponse"]) == (None, None, None)


class _Rebinding:
    """A name that answers a public address first, then the metadata address (a rebinding DNS)."""

    def __init__(self) -> None:
        self.reponses = ["93.184.215.14", "169.254.169.254"]

    async def __call__(self, hote: str, port: int) -> list[Adresse]:
        return [ipaddress.ip_address(self.reponses.pop(0) if len(self.reponses) > 1 else self.reponses[0])]


async def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    vus: list[httpx.Request] = []

    def repondre(request: httpx.Request) -> httpx.Response:
        vus.append(request)
        return httpx.Response(204)

    resolveur = _Rebinding()
    transport = TransportVerifie(reseaux([]), inner=httpx.MockTransport(repondre), resolveur=resolveur)
    async with httpx.AsyncClient(transport=transport) as client:
        r = await client.post("https://hooks.office.example/signif", content=b"{}")
        assert r.status_code == 204
        # Sent to the checked address, under the name (Host and TLS SNI) the certificate must match.
        [requete] = vus
        assert requete.url.host == "93.184.215.14"
        assert requete.headers["host"] == "hooks.office.example"
        assert requete.extensions["sni_hostname"] == "hooks.office.example"
        # The same name now resolves to the metadata address: refused before anything is sent.
        with pytest.raises(UrlWebhookRefusee):
            await client.post("https://hooks.office.example/signif", content=b"{}")
    assert len(vus) == 1
