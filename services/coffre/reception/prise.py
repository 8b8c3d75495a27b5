"""The prise de connaissance: the first authenticated download of an acte by its destinataire.

Threat model and guarantees:
- Only the retrieval page's authenticated POST calls `telecharger`; opening a link or any GET never
  does (mail scanners pre-fetch links).
- The caller proves which declarations the person holds (consent's destinataire token); an acte whose
  declaration is not among them is `ActeIntrouvable`, exactly as an unknown id (no oracle).
- The document is verified against its SHA-256 before anything is recorded (the check runs beside the
  recording transaction, which commits only once it has passed), and the bytes served are the bytes
  checked (`BlobStore.open_checked`: the same open file, its serving aborted if it changed).
- Exactly one prise de connaissance: in ONE transaction a conditional
  `UPDATE actes SET pris_connaissance_le = now WHERE id = ? AND pris_connaissance_le IS NULL`
  decides the winner (SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL's row lock makes the
  loser re-check and match no row). The winner appends the `prise_connaissance` leaf, issues the
  avis de réception (JWS sealed with the coffre seal key, RFC 3161 timestamp, over the leaf and a
  fresh signed checkpoint), stores it, and emits `acte.pris_connaissance` in the same transaction.
  Every later download only adds a `telechargement` event: never a new avis, never a new instant.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.actes.integrite import alarme_integrite
from services.coffre.contexte import Coffre
from services.coffre.errors import ActeIntrouvable
from services.coffre.journal.repertoire import instant
from services.coffre.models import JOB_TABLES, Acte
from services.coffre.preuves import PriseDeConnaissance, emettre_avis_reception
from services.coffre.reception import repository
from shared.blobs.base import CheckedContent, IntegrityError
from shared.errors import ErreurIntegrite
from shared.jobs import emit_event


@dataclass(frozen=True)
class Telechargement:
    acte_id: str
    sha256: str
    taille: int
    premiere: bool  # this download was the prise de connaissance
    pris_connaissance_le: datetime
    contenu: AsyncIterator[bytes]


async def acte_du_destinataire(
    session: AsyncSession, acte_id: str, declarations: Collection[str], *, verrou: bool = False
) -> Acte:
    """The acte if it was served on one of these declarations, else `ActeIntrouvable`."""
    acte = await repository.acte_du_destinataire(session, acte_id, declarations, verrou=verrou)
    if acte is None:
        raise ActeIntrouvable()
    return acte


async def _enregistrer(
    session: AsyncSession, coffre: Coffre, acte: Acte, *, now: datetime, personne: str
) -> bool:
    """Record the prise de connaissance if none is recorded yet; True when this call recorded it."""
    if not await repository.noter_prise_de_connaissance(session, acte.id, now=now):
        return False
    if acte.envoye_le is None:  # pragma: no cover - ENVOYES implies envoye_le
        raise ActeIntrouvable()
    index = await coffre.repertoire.ajouter(
        session,
        {
            "type": "prise_connaissance",
            "acte_id": acte.id,
            "declaration_id": acte.declaration_id,
            "sha256": acte.sha256,
            "pris_connaissance_le": instant(now),
            "instant": instant(now),
        },
        now=now,
    )
    checkpoint = await coffre.repertoire.signer_checkpoint(session, now=now)
    avis = await emettre_avis_reception(
        PriseDeConnaissance(
            acte_id=acte.id,
            sha256=acte.sha256,
            declaration_id=acte.declaration_id,
            envoye_le=acte.envoye_le,
            pris_connaissance_le=now,
            fuseau=acte.fuseau,
            repertoire_index=index,
            repertoire_checkpoint=checkpoint,
        ),
        sceau=coffre.sceau,
        horodatage=coffre.horodatage,
    )
    await repository.garder_avis_reception(session, acte.id, avis.jws)
    repository.ajouter_evenement(
        session,
        acte.id,
        "prise_connaissance",
        now=now,
        journal_index=index,
        donnees={"personne": personne, "avis_reception_kid": avis.kid},
    )
    await emit_event(
        session,
        JOB_TABLES,
        "acte.pris_connaissance",
        {
            "acte_id": acte.id,
            "office_id": acte.office_id,
            "sha256": acte.sha256,
            "pris_connaissance_le": instant(now),
            "fuseau": acte.fuseau,
            "avis_reception_jws": avis.jws,
        },
        now=now,
    )
    return True


async def _verifier(coffre: Coffre, sha256: str, taille: int) -> CheckedContent:
    try:
        return await coffre.blobs.open_checked(sha256, size=taille)
    except IntegrityError as exc:
        raise ErreurIntegrite("Le document stocké ne correspond plus à son empreinte.") from exc


async def _abandonner(verification: asyncio.Future[CheckedContent]) -> None:
    """The download failed: let the check end (a thread cannot be interrupted), close its file."""
    verification.cancel()
    await asyncio.wait([verification])
    if not verification.cancelled() and verification.exception() is None:
        await verification.result().aclose()


async def telecharger(
    coffre: Coffre,
    acte_id: str,
    *,
    declarations: Collection[str],
    personne: str,
    connu: Acte | None = None,
) -> Telechargement:
    """Verify, record (first time: prise de connaissance; later: a logged download), then stream.

    `connu`: the acte as the caller just read it (the retrieval link's), which spares reading it
    again when it is the one asked for; it is locked and checked again before anything is recorded.
    """
    if connu is not None and connu.id == acte_id and connu.declaration_id in declarations:
        sha256, taille = connu.sha256, connu.taille
    else:
        async with coffre.db.read() as session:
            acte = await acte_du_destinataire(session, acte_id, declarations)
            sha256, taille = acte.sha256, acte.taille
    # The check hashes the whole file in a worker thread while the transaction does its work; the
    # transaction commits only once the check has passed, so nothing is recorded for altered bytes.
    verification = asyncio.ensure_future(_verifier(coffre, sha256, taille))
    try:
        now = coffre.clock.now()
        async with coffre.db.transaction() as session:
            acte = await acte_du_destinataire(session, acte_id, declarations, verrou=True)
            premiere = await _enregistrer(session, coffre, acte, now=now, personne=personne)
            if not premiere:
                repository.ajouter_evenement(
                    session, acte.id, "telechargement", now=now, donnees={"personne": personne}
                )
            # The row was read under the writer's lock (BEGIN IMMEDIATE / FOR UPDATE): when this call
            # did not record the prise de connaissance, the instant read then is the recorded one.
            pris_le = now if premiere else acte.pris_connaissance_le
            contenu = await verification
        if pris_le is None:  # pragma: no cover - set above or before
            raise ActeIntrouvable()
    except ErreurIntegrite:
        await _abandonner(verification)
        await alarme_integrite(coffre, acte_id, sha256, lors="retrait")
        raise
    except BaseException:
        await _abandonner(verification)
        raise
    return Telechargement(acte_id, sha256, taille, premiere, pris_le, contenu)
