"""Two simultaneous first downloads: exactly one prise de connaissance, one avis, one event (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from services.coffre.errors import ActeIntrouvable
from services.coffre.models import JOB_TABLES, Acte, ActeEvenement
from services.coffre.reception.prise import telecharger
from tests.services.coffre.retrait.outils import BancFactory
from tests.services.coffre.voisins import DECL


async def _lire(contenu: object) -> bytes:
    morceaux = [m async for m in contenu]  # type: ignore[attr-defined]
    return b"".join(morceaux)


async def test_deux_premiers_telechargements_simultanes(
    banc: BancFactory, pdf_signe: bytes, database_url: str
) -> None:
    async with banc(database_url=database_url) as b:
        acte_id = await b.signifier(pdf_signe)
        runtime, coffre = b.t.runtime, b.t.coffre
        resultats = await asyncio.gather(
            *(
                telecharger(coffre, acte_id, declarations=[DECL["paris"]], personne="personne-1")
                for _ in range(2)
            )
        )
        assert sorted(r.premiere for r in resultats) == [False, True]
        assert resultats[0].pris_connaissance_le == resultats[1].pris_connaissance_le
        for r in resultats:
            assert await _lire(r.contenu) == pdf_signe
        async with runtime.db.transaction() as session:
            acte = await session.get(Acte, acte_id)
            assert acte is not None
            assert acte.avis_reception_jws is not None
            types = (
                await session.scalars(select(ActeEvenement.type).where(ActeEvenement.acte_id == acte_id))
            ).all()
            sorties = (await session.scalars(select(JOB_TABLES.outbox.c.type))).all()
            feuilles = await coffre.repertoire.log.size(session)
        assert sorted(types) == ["depot", "envoi", "prise_connaissance", "telechargement"]
        assert sorted(sorties) == ["acte.envoye", "acte.pris_connaissance"]
        assert feuilles == 3  # depot, envoi, prise_connaissance

        # Someone else's declarations never reach it.
        with pytest.raises(ActeIntrouvable):
            await telecharger(coffre, acte_id, declarations=[DECL["lyon"]], personne="x")
        async with runtime.db.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(ActeEvenement)) == 4
