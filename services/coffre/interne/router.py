"""Internal endpoints for notify (contracts.md; role `service`, audience `coffre`).

- `POST /interne/actes/{id}/lien`: a fresh retrieval link. The token is 256 random bits; only its
  SHA-256 is stored, bound to the acte and its declaration, with an expiry: the plaintext exists only
  in the answer (and then in the e-mail). The answer also gives the acte's legal time zone (the
  destinataire's domicile's), in which the avis states its instants.
- `POST /interne/actes/{id}/avis-mise-a-disposition`: the outcome of the avis e-mail, recorded as
  evidence: a répertoire leaf with the instant the mail server accepted it, the channel, the SHA-256
  of the message handed over and of its Message-ID, and an event that also keeps the masked address
  (for the certificat; the leaf carries no address); on `echec`, a `notification.echec` event for the
  office.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.coffre.actes import repository
from services.coffre.dependencies import CoffreDep
from services.coffre.depot.envoi import evenement
from services.coffre.errors import ActeIntrouvable, LienImpossible
from services.coffre.journal.repertoire import instant
from services.coffre.models import JOB_TABLES, Acte, LienRetrait
from shared.auth import CurrentService
from shared.bornes import IdChemin
from shared.crypto.tokens import hash_token, new_token
from shared.errors import error_responses
from shared.jobs import emit_event

router = APIRouter(prefix="/coffre/v1/interne", tags=["interne"], include_in_schema=True)
_ENVOYES = ("envoye", "pris_connaissance")


class AvisMiseADisposition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    statut: Literal["envoye", "echec"]
    canal: Literal["email", "sms"]
    envoye_le: datetime = Field(description="Instant où le serveur de messagerie (ou SMS) a accepté l'avis.")
    message_id: str | None = Field(None, max_length=500)
    message_sha256: str | None = Field(
        None,
        min_length=64,
        max_length=64,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 du message tel que remis (RFC 5322).",
    )
    adresse_masquee: str | None = Field(None, max_length=320)
    detail: str | None = Field(None, max_length=1000)


@router.post("/actes/{acte_id}/lien", responses=error_responses(ActeIntrouvable, LienImpossible))
async def creer_lien(coffre: CoffreDep, acte_id: IdChemin, _service: CurrentService) -> dict[str, Any]:
    settings = coffre.settings
    now = coffre.clock.now()
    jeton = new_token()
    expire_le = now + timedelta(days=settings.lien_retrait_jours)
    async with coffre.db.transaction() as session:
        acte = await session.get(Acte, acte_id)
        if acte is None:
            raise ActeIntrouvable()
        if acte.statut not in _ENVOYES:
            raise LienImpossible()
        session.add(
            LienRetrait(
                jeton_hash=hash_token(jeton),
                acte_id=acte.id,
                declaration_id=acte.declaration_id,
                cree_le=now,
                expire_le=expire_le,
            )
        )
    return {
        "url": f"{settings.public_url.rstrip('/')}/coffre/retrait/{jeton}",
        "expire_le": instant(expire_le),
        "fuseau": acte.fuseau,
    }


@router.post("/actes/{acte_id}/avis-mise-a-disposition", responses=error_responses(ActeIntrouvable))
async def enregistrer_avis(
    coffre: CoffreDep, acte_id: IdChemin, avis: AvisMiseADisposition, _service: CurrentService
) -> dict[str, Any]:
    now = coffre.clock.now()
    async with coffre.db.transaction() as session:
        # Locked: a report retried while its first delivery is still being recorded waits for it.
        acte = await session.get(Acte, acte_id, with_for_update=True)
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
        for deja in await repository.evenements_du_type(session, acte.id, "avis_mise_a_disposition"):
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
