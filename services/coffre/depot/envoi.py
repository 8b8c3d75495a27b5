"""What a deposit and a sending write, in the caller's transaction (one commit with the acte row).

Deposit: acte row (+ annexes), `depot` leaf and event. Sending: status `envoye`, `envoye_le` (the
legal date and hour of the signification, CPC 664-1), the RFC 3161 token over the acte's SHA-256,
`envoi` leaf and event, and the `acte.envoye` outbox event for notify. Scheduling: the durable job
`acte.envoi_programme` at the next legal instant.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.actes.natures import libelle
from services.coffre.contexte import Coffre
from services.coffre.depot import repository
from services.coffre.journal.repertoire import instant
from services.coffre.models import JOB_TABLES, Acte, ActeAnnexe
from services.coffre.reception.mode import programmer_mode
from services.coffre.reception.repository import ajouter_evenement
from shared.jobs import emit_event, enqueue
from shared.timestamps.token import TimestampToken

ENVOI_PROGRAMME = "acte.envoi_programme"


def _jeton(jeton: TimestampToken) -> dict[str, Any]:
    return {
        "jeton": base64.b64encode(jeton.response).decode("ascii"),
        "date": instant(jeton.gen_time),
        "tsa": jeton.tsa_name,
    }


async def evenement(
    session: AsyncSession,
    acte_id: str,
    type_: str,
    *,
    now: datetime,
    journal_index: int | None,
    donnees: dict[str, Any] | None = None,
) -> None:
    ajouter_evenement(session, acte_id, type_, now=now, journal_index=journal_index, donnees=donnees)


async def enregistrer_depot(
    session: AsyncSession,
    coffre: Coffre,
    acte: Acte,
    annexes: list[ActeAnnexe],
    *,
    now: datetime,
    jeton: TimestampToken,
) -> int:
    acte.horodatage_jeton = jeton.response
    acte.horodatage_date = jeton.gen_time
    acte.horodatage_tsa = jeton.tsa_name
    await repository.ajouter_acte(session, acte, annexes)
    index = await coffre.repertoire.ajouter(
        session,
        {
            "type": "depot",
            "acte_id": acte.id,
            "office_id": acte.office_id,
            "sha256": acte.sha256,
            "taille": acte.taille,
            "annexes": [a.sha256 for a in annexes],
            "depose_le": instant(now),
            "instant": instant(now),
        },
        now=now,
    )
    acte.journal_index = index
    await evenement(
        session, acte.id, "depot", now=now, journal_index=index, donnees={"horodatage": _jeton(jeton)}
    )
    return index


async def enregistrer_envoi(
    session: AsyncSession,
    coffre: Coffre,
    acte: Acte,
    *,
    now: datetime,
    jeton: TimestampToken,
    consentement: dict[str, Any] | None = None,
    competence: dict[str, str] | None = None,
) -> int:
    """The sending; `consentement` (the consent's scope as verified at this instant: version, natures,
    dates) is kept in the `envoi` event for the certificat (CPC 662-1 al. 2)."""
    acte.statut = "envoye"
    acte.envoye_le = now
    acte.horodatage_jeton = jeton.response
    acte.horodatage_date = jeton.gen_time
    acte.horodatage_tsa = jeton.tsa_name
    index = await coffre.repertoire.ajouter(
        session,
        {
            "type": "envoi",
            "acte_id": acte.id,
            "office_id": acte.office_id,
            "declaration_id": acte.declaration_id,
            "sha256": acte.sha256,
            "envoye_le": instant(now),
            "derogation_664": acte.derogation_664 is not None,
            "instant": instant(now),
        },
        now=now,
    )
    acte.journal_index = index
    await programmer_mode(session, acte, now=now)
    donnees: dict[str, Any] = {"horodatage": _jeton(jeton)}
    if consentement is not None:
        donnees["consentement"] = consentement
    if competence is not None:  # an aerodrome zone's court, stated and justified at deposit
        donnees["competence"] = competence
    await evenement(session, acte.id, "envoi", now=now, journal_index=index, donnees=donnees)
    await emit_event(
        session,
        JOB_TABLES,
        "acte.envoye",
        {
            "acte_id": acte.id,
            "office_id": acte.office_id,
            "declaration_id": acte.declaration_id,
            "nature": acte.nature,
            "nature_libelle": libelle(acte.nature),
            "requerant": acte.requerant,
            "envoye_le": instant(now),
            "fuseau": acte.fuseau,
            "office_nom": acte.office_nom,
            "commissaire_nom": acte.commissaire_nom,
        },
        now=now,
    )
    return index


async def programmer_envoi(
    session: AsyncSession,
    acte: Acte,
    *,
    now: datetime,
    prevu: datetime,
    office_commune: str | None = None,
    zone_justifiee: str | None = None,
) -> None:
    """Schedule the sending; the office's commune (its hours) and an aerodrome zone's justification
    (the competence) ride in the job, whose gates run again at the sending."""
    acte.statut = "programme"
    acte.envoi_prevu_le = prevu
    payload: dict[str, Any] = {"acte_id": acte.id}
    if office_commune:
        payload["office_commune_insee"] = office_commune
    if zone_justifiee:
        payload["zone_justifiee"] = zone_justifiee
    await enqueue(
        session,
        JOB_TABLES,
        ENVOI_PROGRAMME,
        payload,
        run_at=prevu,
        now=now,
        unique_key=f"{ENVOI_PROGRAMME}:{acte.id}",
    )
