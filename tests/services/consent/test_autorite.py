"""Judicial authority: purpose-bound searches with full history, proof downloads, each logged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from services.consent.models import RechercheAutorite
from tests.services.consent.conftest import PDF, Consent, activer, changer_adresse

R = "/consent/v1/autorite/recherches"
PROCEDURE = {"juridiction": "TJ Paris", "numero": "RG 26/01234"}
IDENTITE = {
    "type": "physique",
    "nom": "dupont lefevre",
    "prenoms": "Elise Marie",
    "date_naissance": "1984-07-14",
}


async def test_search_returns_every_declaration_with_history_and_is_logged(consent_db: Consent) -> None:
    env = consent_db
    headers = env.bearer("autorite_judiciaire")
    old = await activer(env)
    await env.horloge("2026-03-03T09:00:00Z")
    await env.client.post(f"/consent/v1/declarations/{old.id}/revocation", headers=old.entetes)
    new = await activer(env)
    await changer_adresse(env, new, "neuf@example.org")
    found = await env.client.post(R, json={"procedure": PROCEDURE, "destinataire": IDENTITE}, headers=headers)
    assert found.status_code == 200, found.text
    declarations = found.json()["declarations"]
    assert [d["id"] for d in declarations] == [old.id, new.id]
    assert declarations[0]["statut"] == "revoquee"
    history = declarations[1]["historique"]
    assert [v["contenu"]["contact"]["email"] for v in history] == [
        "elise.dupont@example.org",
        "neuf@example.org",
    ]
    assert declarations[1]["motif_decision"] == "Pièces conformes"
    assert "declaration.acceptee" in [e["type"] for e in declarations[1]["evenements"]]
    by_id = await env.client.post(R, json={"procedure": PROCEDURE, "declaration_id": old.id}, headers=headers)
    assert [d["id"] for d in by_id.json()["declarations"]] == [old.id]
    piece = declarations[0]["pieces"][0]["id"]
    url = f"/consent/v1/autorite/declarations/{old.id}/pieces/{piece}"
    content = await env.client.get(url, params=PROCEDURE, headers=headers)
    assert content.content == PDF
    assert (await env.client.get(url, headers=headers)).status_code == 422
    async with env.runtime.db.transaction() as session:
        rows = (
            (await session.execute(select(RechercheAutorite).order_by(RechercheAutorite.id))).scalars().all()
        )
    assert [(r.objet, r.procedure_numero) for r in rows] == [
        ("recherche", "RG 26/01234"),
        ("recherche", "RG 26/01234"),
        ("piece", "RG 26/01234"),
    ]
    assert rows[0].declaration_ids == [old.id, new.id]


async def test_purpose_is_mandatory_and_role_checked(consent: Consent) -> None:
    headers = consent.bearer("autorite_judiciaire")
    for body in (
        {"destinataire": IDENTITE},
        {"procedure": {"juridiction": "TJ Paris"}, "destinataire": IDENTITE},
        {"procedure": PROCEDURE},
        {"procedure": PROCEDURE, "destinataire": IDENTITE, "declaration_id": "x"},
    ):
        assert (await consent.client.post(R, json=body, headers=headers)).status_code == 422, body
    commissaire = await consent.client.post(
        R, json={"procedure": PROCEDURE, "destinataire": IDENTITE}, headers=consent.bearer("commissaire")
    )
    assert commissaire.status_code == 403
    empty = await consent.client.post(
        R, json={"procedure": PROCEDURE, "destinataire": IDENTITE}, headers=headers
    )
    assert empty.json() == {"declarations": []}


async def test_a_search_reads_each_table_once_whatever_the_number_of_declarations(consent: Consent) -> None:
    """No N+1: the full views of a list are read with one query per table (keys, versions, proofs,
    events), so a person with two declarations costs the same SELECTs as a person with one."""
    env = consent
    headers = env.bearer("autorite_judiciaire")
    selects: list[str] = []

    def compter(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    async def rechercher() -> tuple[int, int]:
        selects.clear()
        event.listen(env.runtime.db.engine.sync_engine, "before_cursor_execute", compter)
        try:
            found = await env.client.post(
                R, json={"procedure": PROCEDURE, "destinataire": IDENTITE}, headers=headers
            )
        finally:
            event.remove(env.runtime.db.engine.sync_engine, "before_cursor_execute", compter)
        assert found.status_code == 200, found.text
        return len(found.json()["declarations"]), len(selects)

    premiere = await activer(env)
    await env.horloge("2026-03-03T09:00:00Z")
    await env.client.post(f"/consent/v1/declarations/{premiere.id}/revocation", headers=premiere.entetes)
    une, requetes_une = await rechercher()
    await activer(env)
    deux, requetes_deux = await rechercher()
    assert (une, deux) == (1, 2)
    assert requetes_deux == requetes_une
