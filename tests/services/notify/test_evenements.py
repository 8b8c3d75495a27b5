"""Event intake (idempotent, unknown types kept) and the office's pull feed (isolated, paginated)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from services.notify.models import Evenement
from tests.services.notify.conftest import Notify


async def _count(harness: Notify) -> int:
    async with harness.runtime.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Evenement)) or 0)


async def test_intake_is_idempotent_on_the_event_id(notify_db: Notify) -> None:
    event_id = str(uuid.uuid4())
    donnees = {"acte_id": "a-1", "office_id": "office-paris-1", "mode": "a_personne"}
    first = await notify_db.emit("acte.mode_fixe", donnees, event_id=event_id)
    again = await notify_db.emit("acte.mode_fixe", donnees, event_id=event_id)
    assert first.status_code == 201, first.text
    assert first.json()["deja_recu"] is False
    assert again.status_code == 200
    assert again.json()["deja_recu"] is True
    assert await _count(notify_db) == 1

    conflicting = await notify_db.emit("acte.mode_fixe", {**donnees, "mode": "a_domicile"}, event_id=event_id)
    assert conflicting.status_code == 409
    assert conflicting.json()["code"] == "idempotence-conflit"


async def test_unknown_types_are_accepted_and_stored(notify: Notify) -> None:
    response = await notify.emit("declaration.revoquee", {"declaration_id": "d-1"})
    assert response.status_code == 201
    async with notify.runtime.db.transaction() as session:
        stored = await session.scalar(select(Evenement).where(Evenement.id == response.json()["id"]))
    assert stored is not None
    assert stored.type == "declaration.revoquee"
    assert stored.office_id is None


async def test_intake_requires_the_service_role_and_a_clean_id(notify: Notify) -> None:
    body = {
        "id": "e1",
        "type": "acte.envoye",
        "source": "coffre",
        "cree_le": "2026-11-24T09:00:00Z",
        "donnees": {},
    }
    as_commissaire = await notify.client.post(
        "/notify/v1/evenements", json=body, headers=notify.commissaire()
    )
    assert as_commissaire.status_code == 403
    anonymous = await notify.client.post("/notify/v1/evenements", json=body)
    assert anonymous.status_code == 401
    dotted = await notify.client.post(
        "/notify/v1/evenements", json={**body, "id": "a.b"}, headers=notify.service()
    )
    assert dotted.status_code == 422


async def test_feed_shows_only_the_offices_events_page_by_page(notify: Notify) -> None:
    mine = []
    for i in range(5):
        response = await notify.emit("acte.mode_fixe", {"acte_id": f"a-{i}", "office_id": "office-paris-1"})
        mine.append(response.json()["id"])
        await notify.emit("acte.mode_fixe", {"acte_id": f"b-{i}", "office_id": "office-lyon-2"})

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limite": "2", **({"apres": cursor} if cursor else {})}
        response = await notify.client.get(
            "/notify/v1/evenements", params=params, headers=notify.commissaire()
        )
        assert response.status_code == 200
        page = response.json()
        seen += [e["id"] for e in page["elements"]]
        assert all(e["donnees"]["office_id"] == "office-paris-1" for e in page["elements"])
        pages += 1
        cursor = page["suivant"]
        if cursor is None:
            break
    assert seen == mine
    assert pages == 3

    other = await notify.client.get("/notify/v1/evenements", headers=notify.commissaire("office-lyon-2"))
    assert {e["donnees"]["acte_id"] for e in other.json()["elements"]} == {f"b-{i}" for i in range(5)}

    forged = await notify.client.get(
        "/notify/v1/evenements", params={"apres": "zz"}, headers=notify.commissaire()
    )
    assert forged.status_code == 422
    assert forged.json()["code"] == "curseur-invalide"
