"""Periodic jobs of the coffre: timestamped checkpoints, integrity audit, orphan blob cleanup (with the
retrieval sessions long expired).

- `repertoire.checkpoint` (hourly): sign the répertoire's current head and obtain an RFC 3161 token
  over the SHA-256 of the signed note, kept in `repertoire_horodatages`: the log's state at that hour
  is dated by a third party, so a later rewrite of history would contradict a timestamped checkpoint.
- `repertoire.audit` (daily): re-hash every blob an acte, an annexe or an issued document names; the
  result (counts and the hashes of altered or missing blobs, nothing else) is appended to the
  répertoire as an `audit_integrite` leaf, and any failure is logged at ERROR.
- `coffre.orphelins` (hourly): delete blobs no acte, annexe or recent deposit names (left by a crash
  or a disconnect between storage and commit), after `orphelins_delai_minutes`.

Each run schedules the next slot with a unique key (`<kind>:<slot>`), so restarts and several workers
never double a periodic job.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.contexte import Coffre
from services.coffre.depot.televersement import blob_reference
from services.coffre.journal import repository
from services.coffre.journal.repertoire import instant
from services.coffre.models import JOB_TABLES, RepertoireHorodatage
from shared.blobs.base import BlobNotFound, IntegrityError
from shared.jobs import Handler, JobContext, enqueue

logger = logging.getLogger("signif.coffre.taches")

CHECKPOINT = "repertoire.checkpoint"
AUDIT = "repertoire.audit"
ORPHELINS = "coffre.orphelins"
PERIODES = {CHECKPOINT: timedelta(hours=1), AUDIT: timedelta(days=1), ORPHELINS: timedelta(hours=1)}


def _prochain_creneau(now: datetime, periode: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=now.tzinfo)
    n = (now - epoch) // periode
    return epoch + (n + 1) * periode


async def planifier(session: AsyncSession, kind: str, *, now: datetime) -> None:
    run_at = _prochain_creneau(now, PERIODES[kind])
    await enqueue(
        session, JOB_TABLES, kind, {}, run_at=run_at, now=now, unique_key=f"{kind}:{instant(run_at)}"
    )


async def planifier_tout(session: AsyncSession, *, now: datetime) -> None:
    for kind in PERIODES:
        await planifier(session, kind, now=now)


async def horodater_checkpoint(
    session: AsyncSession, coffre: Coffre, *, now: datetime
) -> RepertoireHorodatage:
    note = await coffre.repertoire.signer_checkpoint(session, now=now)
    jeton = await coffre.horodatage.timestamp(hashlib.sha256(note.encode("utf-8")).digest())
    taille = await coffre.repertoire.log.size(session)
    row = RepertoireHorodatage(taille=taille, checkpoint=note, jeton=jeton.response, cree_le=now)
    repository.ajouter_horodatage(session, row)
    return row


async def auditer(session: AsyncSession, coffre: Coffre, *, now: datetime) -> dict[str, object]:
    shas = await repository.empreintes_nommees(session)
    alteres: list[str] = []
    manquants: list[str] = []
    for sha256 in sorted(shas):
        try:
            await coffre.blobs.verify(sha256)
        except IntegrityError:
            alteres.append(sha256)
        except BlobNotFound:
            manquants.append(sha256)
    resultat: dict[str, object] = {
        "type": "audit_integrite",
        "instant": instant(now),
        "verifies": len(shas),
        "alteres": alteres,
        "manquants": manquants,
    }
    await coffre.repertoire.consigner(session, resultat, now=now)
    if alteres or manquants:
        logger.error("integrity audit failed", extra={"alteres": alteres, "manquants": manquants})
    return resultat


async def nettoyer_orphelins(session: AsyncSession, coffre: Coffre, *, now: datetime) -> int:
    limite = now - timedelta(minutes=coffre.settings.orphelins_delai_minutes)
    await repository.purger_avant(session, limite)
    supprimes = 0
    async for ref in coffre.blobs.iter_all():
        if not await blob_reference(session, ref.sha256) and await coffre.blobs.delete(ref.sha256):
            supprimes += 1
            logger.info("orphan blob removed", extra={"sha256": ref.sha256})
    return supprimes


def handlers(coffre: Coffre) -> dict[str, Handler]:
    async def checkpoint(ctx: JobContext) -> None:
        await horodater_checkpoint(ctx.session, coffre, now=ctx.now)
        await planifier(ctx.session, CHECKPOINT, now=ctx.now)

    async def audit(ctx: JobContext) -> None:
        await auditer(ctx.session, coffre, now=ctx.now)
        await planifier(ctx.session, AUDIT, now=ctx.now)

    async def orphelins(ctx: JobContext) -> None:
        await nettoyer_orphelins(ctx.session, coffre, now=ctx.now)
        await planifier(ctx.session, ORPHELINS, now=ctx.now)

    return {CHECKPOINT: checkpoint, AUDIT: audit, ORPHELINS: orphelins}
