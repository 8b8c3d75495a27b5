"""Reading: the office's list (cursor pagination, filters), detail with events, the verified document."""

from __future__ import annotations

import json

from sqlalchemy import select

from services.coffre.models import ActeEvenement
from tests.services.coffre.conftest import CoffreFactory, metadonnees


async def test_liste_detail_et_cloisonnement(
    coffre_factory: CoffreFactory, pdf_signe: bytes, pdf_signe_bis: bytes
) -> None:
    async with coffre_factory() as t:
        ids = []
        for i, pdf in enumerate([pdf_signe, pdf_signe_bis, pdf_signe]):
            r = await t.deposer(pdf, metadonnees(reference_dossier=f"DOS-{i % 2}"))
            assert r.status_code == 201
            ids.append(r.json()["id"])
        page1 = (await t.client.get("/coffre/v1/actes?limite=2", headers=t.jeton())).json()
        assert len(page1["elements"]) == 2
        assert page1["suivant"] is not None
        page2 = (
            await t.client.get(f"/coffre/v1/actes?limite=2&apres={page1['suivant']}", headers=t.jeton())
        ).json()
        assert page2["suivant"] is None
        seen = [e["id"] for e in page1["elements"] + page2["elements"]]
        assert sorted(seen) == sorted(ids)
        filtre = (await t.client.get("/coffre/v1/actes?reference_dossier=DOS-1", headers=t.jeton())).json()
        assert [e["id"] for e in filtre["elements"]] == [ids[1]]
        assert (await t.client.get("/coffre/v1/actes?statut=programme", headers=t.jeton())).json()[
            "elements"
        ] == []

        detail = (await t.client.get(f"/coffre/v1/actes/{ids[0]}", headers=t.jeton())).json()
        assert detail["statut"] == "envoye"
        assert detail["mode"] is None
        assert [e["type"] for e in detail["evenements"]] == ["depot", "envoi"]

        autre = t.commissaire(office_id="office-paris-2")
        assert (await t.client.get(f"/coffre/v1/actes/{ids[0]}", headers=autre)).status_code == 404
        assert (await t.client.get(f"/coffre/v1/actes/{ids[0]}/document", headers=autre)).status_code == 404
        assert (await t.client.get("/coffre/v1/actes", headers=autre)).json()["elements"] == []

        document = await t.client.get(f"/coffre/v1/actes/{ids[1]}/document", headers=t.jeton())
        assert document.status_code == 200
        assert document.content == pdf_signe_bis
        assert document.headers["content-type"] == "application/pdf"


async def test_document_altere_alarme(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        body = (await t.deposer(pdf_signe)).json()
        path = t.coffre.blobs.path_for(body["sha256"])  # type: ignore[attr-defined]
        path.chmod(0o644)
        altered = bytearray(path.read_bytes())
        altered[100] ^= 0x01
        path.write_bytes(bytes(altered))
        response = await t.client.get(f"/coffre/v1/actes/{body['id']}/document", headers=t.jeton())
        assert response.status_code == 500
        assert response.json()["code"] == "integrite"
        async with t.runtime.db.transaction() as session:
            size = await t.coffre.repertoire.log.size(session)
            leaf = (await t.coffre.repertoire.log.leaves(session, size - 1, size))[0]
            events = (await session.scalars(select(ActeEvenement.type))).all()
        assert json.loads(leaf.data)["type"] == "alerte_integrite"
        assert "alerte_integrite" in events
