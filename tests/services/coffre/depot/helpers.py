"""Assertions shared by the deposit tests."""

from __future__ import annotations

from sqlalchemy import func, select

from services.coffre.models import JOB_TABLES, Acte, DepotEnCours
from tests.services.coffre.conftest import CoffreEnTest


async def compter(t: CoffreEnTest) -> dict[str, int]:
    async with t.runtime.db.transaction() as session:
        return {
            "actes": int(await session.scalar(select(func.count()).select_from(Acte)) or 0),
            "en_cours": int(await session.scalar(select(func.count()).select_from(DepotEnCours)) or 0),
            "outbox": int(await session.scalar(select(func.count()).select_from(JOB_TABLES.outbox)) or 0),
            "journal": await t.coffre.repertoire.log.size(session),
            "blobs": len(await t.blobs()),
        }


async def assert_rien_stocke(t: CoffreEnTest) -> None:
    assert await compter(t) == {"actes": 0, "en_cours": 0, "outbox": 0, "journal": 0, "blobs": 0}
