"""Internal endpoints for notify, and the judicial authority's logged search."""

from __future__ import annotations

import json

from sqlalchemy import event, select

from services.coffre.models import JOB_TABLES, LienRetrait
from shared.crypto.tokens import hash_token
from tests.services.coffre.conftest import CoffreFactory
from tests.services.coffre.voisins import DECL


async def test_lien_de_retrait(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        acte = (await t.deposer(pdf_signe)).json()
        service = t.jeton(role="service", sub="service:notify")
        response = await t.client.post(f"/coffre/v1/interne/actes/{acte['id']}/lien", headers=service)
        assert response.status_code == 200
        body = response.json()
        prefix = "http://127.0.0.1:8000/coffre/retrait/"
        assert body["url"].startswith(prefix)
        token = body["url"].removeprefix(prefix)
        assert len(token) >= 22  # >= 128 bits, URL-safe base64
        assert body["expire_le"] == "2026-04-01T09:00:00Z"
        assert body["fuseau"] == "Europe/Paris"  # her domicile's legal zone, for the avis' instants
        async with t.runtime.db.transaction() as session:
            lien = (await session.scalars(select(LienRetrait))).one()
        assert lien.jeton_hash == hash_token(token)
        assert lien.declaration_id == DECL["paris"]
        other = await t.client.post(f"/coffre/v1/interne/actes/{acte['id']}/lien", headers=service)
        assert other.json()["url"] != body["url"]
        assert (
            await t.client.post("/coffre/v1/interne/actes/inconnu/lien", headers=service)
        ).status_code == 404
        refus = await t.client.post(f"/coffre/v1/interne/actes/{acte['id']}/lien", headers=t.jeton())
        assert refus.status_code == 403


async def test_avis_mise_a_disposition_echec(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        acte = (await t.deposer(pdf_signe)).json()
        service = t.jeton(role="service", sub="service:notify")
        avis = {"statut": "echec", "canal": "email", "envoye_le": "2026-03-02T09:00:05Z", "message_id": None,
                "detail": "boîte pleine"}  # fmt: skip
        url = f"/coffre/v1/interne/actes/{acte['id']}/avis-mise-a-disposition"
        response = await t.client.post(url, headers=service, json=avis)
        assert response.status_code == 200
        async with t.runtime.db.transaction() as session:
            leaf = (await t.coffre.repertoire.log.leaves(session, response.json()["journal_index"], 99))[0]
            outbox = (
                await session.execute(select(JOB_TABLES.outbox).order_by(JOB_TABLES.outbox.c.cree_le))
            ).all()
        assert json.loads(leaf.data)["statut"] == "echec"
        assert "boîte" not in leaf.data.decode()
        assert sorted(row.type for row in outbox) == ["acte.envoye", "notification.echec"]
        detail = (await t.client.get(f"/coffre/v1/actes/{acte['id']}", headers=t.jeton())).json()
        assert detail["evenements"][-1]["type"] == "avis_mise_a_disposition"


async def test_recherche_autorite_journalisee(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        acte = (await t.deposer(pdf_signe)).json()
        autorite = t.jeton(role="autorite_judiciaire", sub="juge-1", juridiction="TJ Paris")
        sans_procedure = await t.client.post(
            "/coffre/v1/autorite/recherches", headers=autorite, json={"declaration_id": DECL["paris"]}
        )
        assert sans_procedure.status_code == 422
        requete = {
            "procedure": {"juridiction": "TJ Paris", "numero": "RG 26/00123"},
            "declaration_id": DECL["paris"],
        }
        response = await t.client.post("/coffre/v1/autorite/recherches", headers=autorite, json=requete)
        assert response.status_code == 200
        body = response.json()
        assert [a["id"] for a in body["actes"]] == [acte["id"]]
        assert [e["type"] for e in body["actes"][0]["evenements"]] == ["depot", "envoi"]
        async with t.runtime.db.transaction() as session:
            leaf = (await t.coffre.repertoire.log.leaves(session, body["journal_index"], 99))[0]
        feuille = json.loads(leaf.data)
        assert feuille["type"] == "recherche_autorite"
        assert feuille["actes"] == [acte["id"]]
        assert "RG 26" not in leaf.data.decode()
        commissaire = await t.client.post("/coffre/v1/autorite/recherches", headers=t.jeton(), json=requete)
        assert commissaire.status_code == 403


async def test_recherche_autorite_sans_requete_par_acte(
    coffre_factory: CoffreFactory, pdf_signe: bytes
) -> None:
    """One query per list, whatever the number of actes found (no N+1): the statements a search runs
    (the répertoire's own aside: its writes depend on the tree's shape) are counted with one acte
    found, then with three."""
    async with coffre_factory() as t:
        autorite = t.jeton(role="autorite_judiciaire", sub="juge-1", juridiction="TJ Paris")
        requete = {
            "procedure": {"juridiction": "TJ Paris", "numero": "RG 26/00124"},
            "declaration_id": DECL["paris"],
        }
        executees: list[str] = []

        def compter(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if "journal_" not in statement:
                executees.append(statement)

        async def rechercher() -> tuple[int, int]:
            executees.clear()
            event.listen(t.runtime.db.engine.sync_engine, "before_cursor_execute", compter)
            try:
                response = await t.client.post(
                    "/coffre/v1/autorite/recherches", headers=autorite, json=requete
                )
            finally:
                event.remove(t.runtime.db.engine.sync_engine, "before_cursor_execute", compter)
            assert response.status_code == 200
            return len(response.json()["actes"]), len(executees)

        await t.deposer(pdf_signe)
        un, requetes_pour_un = await rechercher()
        await t.deposer(pdf_signe)
        await t.deposer(pdf_signe)
        trois, requetes_pour_trois = await rechercher()
        assert (un, trois) == (1, 3)
        assert requetes_pour_trois == requetes_pour_un


async def test_avis_rapporte_deux_fois_enregistre_une_fois(
    coffre_factory: CoffreFactory, pdf_signe: bytes
) -> None:
    """notify retries a report whose answer was lost: the second delivery records nothing new and
    answers the first record's répertoire index (the one the certificat cites)."""
    async with coffre_factory() as t:
        acte = (await t.deposer(pdf_signe)).json()
        service = t.jeton(role="service", sub="service:notify")
        avis = {"statut": "echec", "canal": "email", "envoye_le": "2026-03-02T09:00:05Z", "message_id": None,
                "detail": "boîte pleine"}  # fmt: skip
        url = f"/coffre/v1/interne/actes/{acte['id']}/avis-mise-a-disposition"
        premier = await t.client.post(url, headers=service, json=avis)
        second = await t.client.post(url, headers=service, json=avis)
        assert (premier.status_code, second.status_code) == (200, 200)
        assert second.json()["journal_index"] == premier.json()["journal_index"]
        async with t.runtime.db.transaction() as session:
            taille = await t.coffre.repertoire.log.size(session)
            outbox = (await session.execute(select(JOB_TABLES.outbox.c.type))).scalars().all()
        assert taille == premier.json()["journal_index"] + 1
        assert sorted(outbox) == ["acte.envoye", "notification.echec"]
        detail = (await t.client.get(f"/coffre/v1/actes/{acte['id']}", headers=t.jeton())).json()
        assert [e["type"] for e in detail["evenements"]].count("avis_mise_a_disposition") == 1
