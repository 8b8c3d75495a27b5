"""The bare baseline: one FastAPI endpoint doing the consultation's indexed lookup, nothing else.

Same body model (`ConsultationDemande`), same normal form and keyed blind index (`Indexeur`, the
settings' key), same two indexed queries (declarations by `identite_index`, then their versions) on
the same database through a plain asyncpg pool; no authentication, no access-log row, no log leaf,
no ORM, no write, no commit. Run as its own uvicorn process:

    CONSENT_DATABASE_URL=postgresql+asyncpg://... uvicorn bench.consultations.nu:app
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI

from bench.consultations.charge import dsn_of
from services.consent.consultations.schemas import ConsultationDemande
from services.consent.consultations.service import forme
from services.consent.identite import Indexeur
from services.consent.settings import ConsentSettings

settings = ConsentSettings()
indexeur = Indexeur(settings.effective_blind_index_key)
etat: dict[str, asyncpg.Pool] = {}


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    etat["pool"] = await asyncpg.create_pool(
        dsn_of(settings.effective_database_url), min_size=10, max_size=10
    )
    yield
    await etat["pool"].close()


app = FastAPI(lifespan=lifespan)


@app.post("/nu/consultations")
async def consulter(demande: ConsultationDemande) -> dict[str, Any]:
    index = indexeur.identite(forme(demande.destinataire))
    async with etat["pool"].acquire() as conn:
        declarations = await conn.fetch(
            "SELECT id, decision, revoquee_le FROM consent_declarations WHERE identite_index = $1", index
        )
        if not declarations:
            return {"consentement": False, "motif": "absent"}
        versions = await conn.fetch(
            "SELECT declaration_id, natures, fin FROM consent_versions WHERE declaration_id = ANY($1::text[])"
            " ORDER BY numero",
            [d["id"] for d in declarations],
        )
    for d in declarations:
        if d["decision"] == "acceptee" and d["revoquee_le"] is None:
            return {"consentement": True, "declaration_id": d["id"], "versions": len(versions)}
    return {"consentement": False, "motif": "non_verifie"}
