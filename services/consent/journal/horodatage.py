"""The registry log anchored in time: its checkpoints RFC 3161-timestamped (`shared.translog.horodatages`).

- `journal.checkpoint` (hourly job, `CONSENT_HORODATAGE_HORAIRE`): sign the log's current head and
  timestamp it, kept in `consent_journal_horodatages`; each run schedules the next slot with a unique
  key (`journal.checkpoint:<slot>`), so restarts and several workers never double it;
- `ancrer`: the token over the checkpoint an evidence bundle's proofs lead to (made then, or reused);
- `GET /consent/v1/journal/horodatages` and `.../horodatages/couvrant?taille=` serve them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.models import JOB_TABLES, JournalHorodatage
from services.consent.registre import Registre
from shared.jobs import Handler, JobContext, enqueue
from shared.outbox import rfc3339
from shared.translog import horodatages
from shared.translog.api import JournalPublic

KIND = "journal.checkpoint"
PERIODE = timedelta(hours=1)

router = horodatages.horodatages_router(
    "/consent/v1/journal", JournalHorodatage, tag="journal", journal="du registre"
)


def journal_public(registre: Registre) -> JournalPublic:
    return JournalPublic(registre.journal, registre.journal_signer, registre.settings.journal_origin)


def _prochain_creneau(now: datetime) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=now.tzinfo)
    return epoch + ((now - epoch) // PERIODE + 1) * PERIODE


async def planifier(session: AsyncSession, *, now: datetime) -> None:
    run_at = _prochain_creneau(now)
    await enqueue(
        session, JOB_TABLES, KIND, {}, run_at=run_at, now=now, unique_key=f"{KIND}:{rfc3339(run_at)}"
    )


async def horodater(session: AsyncSession, registre: Registre, *, now: datetime) -> JournalHorodatage:
    ligne = await horodatages.horodater(
        session, journal_public(registre), registre.horodatage, JournalHorodatage, now=now
    )
    return cast(JournalHorodatage, ligne)


async def ancrer(session: AsyncSession, registre: Registre, note: str, *, now: datetime) -> bytes:
    """The token over the checkpoint a bundle's proofs lead to, in the export's transaction: the
    export is rare, and the embedded TSA answers at once (an external one holds the log's head for
    one round trip, 10 s at most)."""
    return await horodatages.ancrer(session, registre.horodatage, JournalHorodatage, note, now=now)


def make_handler(registre: Registre) -> Handler:
    async def checkpoint(ctx: JobContext) -> None:
        await horodater(ctx.session, registre, now=ctx.now)
        await planifier(ctx.session, now=ctx.now)

    return checkpoint
