"""Webhook deliveries against a real local receiver: Standard Webhooks signatures (verified here
independently), retry schedule on the test clock, 410, redelivery, redirects, bounded responses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from services.notify.models import Abonnement
from shared.testing.databases import sqlite_url
from shared.testing.webhooks import Answer, webhook_receiver
from tests.services.notify.conftest import T0, Notify, start_notify

OFFICE = "office-paris-1"
AVIS = {
    "acte_id": "acte-1",
    "office_id": OFFICE,
    "sha256": "ab" * 32,
    "pris_connaissance_le": "2026-11-24T09:00:00Z",
}


def _signatures_valid(
    headers: dict[str, str], body: bytes, secret: str, public_key: str
) -> tuple[bool, bool]:
    """(v1 valid, v1a valid), written from the spec, independent of the service's code."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    signatures = dict(part.split(",", 1) for part in headers["webhook-signature"].split(" "))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    v1 = hmac.compare_digest(signatures["v1"], expected)
    raw = base64.b64decode(public_key.removeprefix("whpk_"))
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(signatures["v1a"]), signed)
    except InvalidSignature:
        return v1, False
    return v1, True


async def _livraisons(notify: Notify, **params: str) -> list[dict[str, Any]]:
    response = await notify.client.get("/notify/v1/livraisons", params=params, headers=notify.commissaire())
    assert response.status_code == 200, response.text
    elements: list[dict[str, Any]] = response.json()["elements"]
    return elements


async def test_delivery_is_signed_per_standard_webhooks(notify_db: Notify) -> None:
    sub = await notify_db.subscribe(notify_db.receiver.url + "/hook", ["acte.pris_connaissance"])
    event_id = (await notify_db.emit("acte.pris_connaissance", AVIS)).json()["id"]
    assert await notify_db.run_jobs() == 1

    [request] = notify_db.receiver.to("/hook")
    assert request.method == "POST"
    assert request.headers["webhook-id"] == event_id
    assert request.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    key = (await notify_db.client.get("/notify/v1/.well-known/webhooks-key")).json()
    assert _signatures_valid(request.headers, request.body, sub["secret"], key["cle_publique"]) == (
        True,
        True,
    )
    assert request.json() == {
        "id": event_id,
        "type": "acte.pris_connaissance",
        "cree_le": "2026-11-24T09:00:00Z",
        "donnees": AVIS,
    }
    tampered = request.body.replace(b"acte-1", b"acte-2")
    assert _signatures_valid(request.headers, tampered, sub["secret"], key["cle_publique"]) == (False, False)
    other_secret = (await notify_db.subscribe(notify_db.receiver.url + "/x", ["acte.envoye"]))["secret"]
    assert _signatures_valid(request.headers, request.body, other_secret, key["cle_publique"])[0] is False

    [livraison] = await _livraisons(notify_db)
    assert livraison["statut"] == "livree"
    [tentative] = livraison["tentatives"]
    assert tentative["statut"] == "succes"
    assert tentative["code_reponse"] == 200
    assert tentative["duree_ms"] >= 0


async def test_only_matching_types_of_the_same_office_are_delivered(notify: Notify) -> None:
    await notify.subscribe(notify.receiver.url + "/mode", ["acte.mode_fixe"])
    await notify.subscribe(
        notify.receiver.url + "/lyon", ["acte.pris_connaissance"], office_id="office-lyon-2"
    )
    await notify.emit("acte.pris_connaissance", AVIS)
    await notify.run_jobs()
    assert notify.receiver.requests == []


async def test_receiver_down_at_first_is_served_later_by_the_retry_schedule(notify_db: Notify) -> None:
    receiver = notify_db.receiver
    await notify_db.subscribe(receiver.url + "/hook", ["acte.pris_connaissance"])
    await receiver.stop()
    event_id = (await notify_db.emit("acte.pris_connaissance", AVIS)).json()["id"]
    await notify_db.run_jobs()
    await notify_db.advance(timedelta(seconds=5))
    await notify_db.run_jobs()
    [livraison] = await _livraisons(notify_db, statut="en_attente")
    assert [t["statut"] for t in livraison["tentatives"]] == ["echec", "echec"]
    assert all(t["code_reponse"] is None and t["classe_erreur"] for t in livraison["tentatives"])

    await receiver.start()
    await notify_db.advance(timedelta(minutes=4))
    assert await notify_db.run_jobs() == 0  # not due yet: third attempt at +5 s +5 min
    await notify_db.advance(timedelta(minutes=1))
    assert await notify_db.run_jobs() == 1
    [request] = receiver.to("/hook")
    assert request.headers["webhook-id"] == event_id
    [livraison] = await _livraisons(notify_db)
    assert livraison["statut"] == "livree"
    assert len(livraison["tentatives"]) == 3


async def test_retries_span_more_than_three_days_then_give_up(notify: Notify) -> None:
    await notify.subscribe(notify.receiver.url + "/hook", ["acte.pris_connaissance"])
    notify.receiver.route("POST", "/hook", Answer(500))
    await notify.emit("acte.pris_connaissance", AVIS)
    for _ in range(20):
        await notify.run_jobs()
        [livraison] = await _livraisons(notify)
        if livraison["statut"] != "en_attente":
            break
        notify.runtime.clock.set(datetime.fromisoformat(livraison["prochaine_tentative_le"]))  # type: ignore[attr-defined]
    assert livraison["statut"] == "echec"
    tentatives = livraison["tentatives"]
    assert len(tentatives) == 10
    assert all(t["code_reponse"] == 500 for t in tentatives)
    first = tentatives[0]["debut_le"]
    last = tentatives[-1]["debut_le"]
    assert datetime.fromisoformat(last) - datetime.fromisoformat(first) >= timedelta(days=3)


async def test_410_disables_the_subscription(notify: Notify) -> None:
    sub = await notify.subscribe(notify.receiver.url + "/hook", ["acte.pris_connaissance", "acte.mode_fixe"])
    notify.receiver.respond(410)
    await notify.emit("acte.pris_connaissance", AVIS)
    await notify.run_jobs()
    async with notify.runtime.db.transaction() as session:
        abonnement = await session.get_one(Abonnement, sub["id"])
    assert abonnement.statut == "desactive"
    [livraison] = await _livraisons(notify)
    assert livraison["statut"] == "abandonnee"

    await notify.emit("acte.mode_fixe", {"acte_id": "acte-1", "office_id": OFFICE, "mode": "a_personne"})
    await notify.advance(timedelta(days=1))
    await notify.run_jobs()
    assert len(notify.receiver.to("/hook")) == 1
    listed = (await notify.client.get("/notify/v1/abonnements", headers=notify.commissaire())).json()
    assert listed["elements"][0]["statut"] == "desactive"


async def test_redelivery_by_hand_keeps_the_webhook_id(notify: Notify) -> None:
    await notify.subscribe(notify.receiver.url + "/hook", ["acte.pris_connaissance"])
    await notify.emit("acte.pris_connaissance", AVIS)
    await notify.run_jobs()
    [livraison] = await _livraisons(notify)

    foreign = await notify.client.post(
        f"/notify/v1/livraisons/{livraison['id']}/relivraison", headers=notify.commissaire("office-lyon-2")
    )
    assert foreign.status_code == 404
    again = await notify.client.post(
        f"/notify/v1/livraisons/{livraison['id']}/relivraison", headers=notify.commissaire()
    )
    assert again.status_code == 202
    assert await notify.run_jobs() == 1
    first, second = notify.receiver.to("/hook")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    [livraison] = await _livraisons(notify, statut="livree")
    assert [t["manuelle"] for t in livraison["tentatives"]] == [False, True]


async def test_redirects_are_not_followed(notify: Notify) -> None:
    await notify.subscribe(notify.receiver.url + "/hook", ["acte.pris_connaissance"])
    notify.receiver.respond(Answer(302, headers={"location": notify.receiver.url + "/ailleurs"}))
    await notify.emit("acte.pris_connaissance", AVIS)
    await notify.run_jobs()
    assert notify.receiver.to("/ailleurs") == []
    [livraison] = await _livraisons(notify)
    assert livraison["statut"] == "en_attente"
    [tentative] = livraison["tentatives"]
    assert tentative["code_reponse"] == 302
    assert tentative["classe_erreur"] == "redirection_non_suivie"


async def test_the_response_body_is_read_bounded(notify: Notify) -> None:
    await notify.subscribe(notify.receiver.url + "/hook", ["acte.pris_connaissance"])
    notify.receiver.respond(Answer(200, body_size=8 * 1024 * 1024))
    await notify.emit("acte.pris_connaissance", AVIS)
    await notify.run_jobs()
    [livraison] = await _livraisons(notify)
    [tentative] = livraison["tentatives"]
    assert tentative["statut"] == "succes"
    assert tentative["reponse_tronquee"] is True
    assert tentative["octets_lus"] == notify.settings.webhook_max_response_bytes


async def test_the_platform_key_is_published(notify: Notify) -> None:
    key = (await notify.client.get("/notify/v1/.well-known/webhooks-key")).json()
    jwks = (await notify.client.get("/notify/v1/.well-known/jwks.json")).json()
    raw = base64.b64decode(key["cle_publique"].removeprefix("whpk_"))
    x = jwks["keys"][0]["x"]
    assert base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)) == raw
    assert json.dumps(key["jwks"]) == json.dumps(jwks)


async def test_a_hung_endpoint_times_out_and_is_retried(tmp_path: Path) -> None:
    async with start_notify(tmp_path, sqlite_url(tmp_path), webhook_timeout=0.3) as notify:
        await notify.subscribe(notify.receiver.url + "/hook", ["acte.pris_connaissance"])
        notify.receiver.respond(Answer(200, delay=5.0))
        await notify.emit("acte.pris_connaissance", AVIS)
        await notify.run_jobs()
        [livraison] = await _livraisons(notify)
        [tentative] = livraison["tentatives"]
        assert tentative["classe_erreur"] == "delai_depasse"
        assert tentative["duree_ms"] < 2000
        assert livraison["statut"] == "en_attente"


async def test_pending_retries_survive_a_restart(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    async with webhook_receiver() as receiver:
        async with start_notify(tmp_path, url, receiver=receiver) as first:
            await first.subscribe(receiver.url + "/hook", ["acte.pris_connaissance"])
            receiver.respond(503)
            event_id = (await first.emit("acte.pris_connaissance", AVIS)).json()["id"]
            await first.run_jobs()
        async with start_notify(tmp_path, url, receiver=receiver, now=T0 + timedelta(seconds=5)) as second:
            assert await second.run_jobs() == 1
            [livraison] = await _livraisons(second, statut="livree")
            assert [t["code_reponse"] for t in livraison["tentatives"]] == [503, 200]
    assert [r.headers["webhook-id"] for r in receiver.to("/hook")] == [event_id, event_id]


async def test_receiver_down_for_three_days_gets_the_event_once_at_the_last_attempt(
    notify_db: Notify,
) -> None:
    """Issue 12: the office's receiver down (connection refused) for three days: every attempt of the
    schedule fails but the last, made once it is back; the event arrives once, under its id."""
    receiver = notify_db.receiver
    await notify_db.subscribe(receiver.url + "/hook", ["acte.pris_connaissance"])
    await receiver.stop()
    event_id = (await notify_db.emit("acte.pris_connaissance", AVIS)).json()["id"]
    debut = notify_db.runtime.clock.now()
    for _ in range(9):
        await notify_db.run_jobs()
        [livraison] = await _livraisons(notify_db)
        assert livraison["statut"] == "en_attente"
        notify_db.runtime.clock.set(datetime.fromisoformat(livraison["prochaine_tentative_le"]))  # type: ignore[attr-defined]
    assert notify_db.runtime.clock.now() - debut >= timedelta(days=3)
    await receiver.start()
    assert await notify_db.run_jobs() == 1
    [request] = receiver.to("/hook")
    assert request.headers["webhook-id"] == event_id
    [livraison] = await _livraisons(notify_db)
    assert livraison["statut"] == "livree"
    assert [t["statut"] for t in livraison["tentatives"]] == ["echec"] * 9 + ["succes"]
    assert await notify_db.run_jobs() == 0
    assert len(receiver.to("/hook")) == 1
