"""The internal endpoints' rules (`router.py` says what each records); the caller's transaction commits."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.actes import repository as actes
from services.coffre.contexte import Coffre
from services.coffre.depot.envoi import evenement
from services.coffre.errors import ActeIntrouvable, LienImpossible
from services.coffre.interne import repository
from services.coffre.interne.schemas import AvisMiseADisposition
from services.coffre.journal.repertoire import instant
from services.coffre.models import ENVOYES, JOB_TABLES, LienRetrait
from shared.crypto.tokens import hash_token, new_token
from shared.jobs import emit_event


async def creer_lien(session: AsyncSession, coffre: Coffre, acte_id: str, *, now: datetime) -> dict[str, Any]:
    settings = coffre.settings
    jeton = new_token()
    expire_le = now + timedelta(days=settings.lien_retrait_jours)
    acte = await repository.acte(session, acte_id)
    if acte is None:
        raise ActeIntrouvable()
    if acte.statut not in ENVOYES:
        raise LienImpossible()
    repository.ajouter_lien(
        session,
        LienRetrait(
            jeton_hash=hash_token(jeton),
            acte_id=acte.id,
            declaration_id=acte.declaration_id,
            cree_le=now,
            expire_le=expire_le,
        ),
    )
    return {
        "url": f"{settings.public_url.rstrip('/')}/coffre/retrait/{jeton}",
        "expire_le": instant(expire_le),
        "fuseau": acte.fuseau,
    }


async def enregistrer_avis(
    session: AsyncSession, coffre: Coffre, acte_id: str, avis: AvisMiseADisposition, *, now: datetime
) -> dict[str, Any]:
    # Locked: a report retried while its first delivery is still being recorded waits for it.
    acte = await repository.acte(session, acte_id, verrou=True)
    if acte is None:
        raise ActeIntrouvable()
    donnees = {
        "statut": avis.statut,
        "canal": avis.canal,
        "envoye_le": instant(avis.envoye_le),
        "message_sha256": avis.message_sha256,
        "adresse_masquee": avis.adresse_masquee,
    }
    # notify retries a report whose answer it did not receive: the same outcome is recorded once,
    # and the retry answers the first record's index (the certificat cites that one).
    for deja in await actes.evenements_du_type(session, acte.id, "avis_mise_a_disposition"):
        if deja.donnees == donnees and deja.journal_index is not None:
            return {"journal_index": deja.journal_index}
    message = hashlib.sha256(avis.message_id.encode()).hexdigest() if avis.message_id else None
    index = await coffre.repertoire.ajouter(
        session,
        {
            "type": "avis_mise_a_disposition",
            "acte_id": acte.id,
            "statut": avis.statut,
            "canal": avis.canal,
            "envoye_le": instant(avis.envoye_le),
            "message_id_sha256": message,
            "message_sha256": avis.message_sha256,
            "instant": instant(now),
        },
        now=now,
    )
    await evenement(
        session, acte.id, "avis_mise_a_disposition", now=now, journal_index=index, donnees=donnees
    )
    if avis.statut == "echec":
        await emit_event(
            session,
            JOB_TABLES,
            "notification.echec",
            {
                "acte_id": acte.id,
                "office_id": acte.office_id,
                "detail": avis.detail or "L'avis de mise à disposition n'a pas pu être envoyé.",
            },
            now=now,
        )
    return {"journal_index": index}
