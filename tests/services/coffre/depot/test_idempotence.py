"""`Idempotency-Key`: same key and body → the first response, once; another body → 409."""

from __future__ import annotations

from tests.services.coffre.conftest import CoffreFactory, metadonnees
from tests.services.coffre.depot.helpers import compter


async def test_meme_cle_meme_corps_meme_reponse(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    async with coffre_factory(database_url=database_url) as t:
        headers = {**t.jeton(), "Idempotency-Key": "cle-1"}
        first = await t.deposer(pdf_signe, headers=headers)
        again = await t.deposer(pdf_signe, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert await compter(t) == {"actes": 1, "en_cours": 0, "outbox": 1, "journal": 2, "blobs": 1}
        assert len(await t.voisins.verifications()) == 1  # the replay checks nothing again


async def test_meme_cle_autre_corps_conflit(
    coffre_factory: CoffreFactory, pdf_signe: bytes, pdf_signe_bis: bytes
) -> None:
    async with coffre_factory() as t:
        headers = {**t.jeton(), "Idempotency-Key": "cle-1"}
        assert (await t.deposer(pdf_signe, headers=headers)).status_code == 201
        other_doc = await t.deposer(pdf_signe_bis, headers=headers)
        assert other_doc.status_code == 409
        assert other_doc.json()["code"] == "idempotence-conflit"
        other_meta = await t.deposer(pdf_signe, metadonnees(reference_dossier="AUTRE"), headers=headers)
        assert other_meta.status_code == 409
        assert await compter(t) == {"actes": 1, "en_cours": 0, "outbox": 1, "journal": 2, "blobs": 1}


async def test_cle_propre_a_chaque_office(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        autre = t.commissaire(office_id="office-paris-2")
        a = await t.deposer(pdf_signe, headers={**t.jeton(), "Idempotency-Key": "k"})
        b = await t.deposer(pdf_signe, headers={**autre, "Idempotency-Key": "k"})
        assert a.status_code == b.status_code == 201
        assert a.json()["id"] != b.json()["id"]
        # Same document twice (two sendings): one blob, content-addressed.
        assert await compter(t) == {"actes": 2, "en_cours": 0, "outbox": 2, "journal": 4, "blobs": 1}
