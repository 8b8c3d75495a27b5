"""Periodic jobs of the coffre: timestamped checkpoints, integrity audit, orphan blob cleanup (with the
retrieval sessions long expired).

- `repertoire.checkpoint` (hourly): sign the répertoire's current head and obtain an RFC 3161 token
  over the SHA-256 of the signed note (`shared.translog.horodatages`, as consent's registry log), kept
  in `repertoire_horodatages`: the log's state at that hour is dated by a third party, so a later
  rewrite of history would contradict a timestamped checkpoint.
- `repertoire.audit` (daily): re-hash every blob an acte, an annexe or an issued document names; the
  result (counts and the hashes of altered or missing blobs, nothing else) is appended to the
  répertoire as an `audit_integrite` leaf, and any failure is logged at ERROR.
- `coffre.orphelins` (hourly): delete blobs no acte, annexe or recent deposit names (left by a crash
  or a disconnect between storage and commit), after `orphelins_delai_minutes`.

Each run schedules the next slot with a unique key (`<kind>:<slot>`), so restarts and several workers
never double a periodic job.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.contexte import Coffre
from services.coffre.depot.televersement import blob_reference
from services.coffre.journal.repertoire import instant
from services.coffre.models import (
    JOB_TABLES,
    Acte,
    ActeAnnexe,
    DepotEnCours,
    DocumentEmis,
    RepertoireHorodatage,
    SessionRetrait,
)
from shared.blobs.base import BlobNotFound, IntegrityError
from shared.jobs import Handler, JobContext, enqueue
from shared.translog import horodatages
from shared.translog.api import JournalPublic

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
    repertoire = coffre.repertoire
    journal = JournalPublic(repertoire.log, repertoire.signer, repertoire.origin)
    ligne = await horodatages.horodater(session, journal, coffre.horodatage, RepertoireHorodatage, now=now)
    return cast(RepertoireHorodatage, ligne)


async def auditer(session: AsyncSession, coffre: Coffre, *, now: datetime) -> dict[str, object]:
    shas = set((await session.scalars(select(Acte.sha256))).all())
    shas |= set((await session.scalars(select(ActeAnnexe.sha256))).all())
    shas |= set((await session.scalars(select(DocumentEmis.sha256))).all())
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
    await session.execute(delete(DepotEnCours).where(DepotEnCours.cree_le < limite))
    await session.execute(delete(SessionRetrait).where(SessionRetrait.expire_le < limite))
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
