"""The purge itself, in batches, inside the caller's transaction; and its daily durable job (the SQL:
`repository.py`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.declarations import avis
from services.consent.journal.service import feuille
from services.consent.models import JOB_TABLES, OUVERTURES
from services.consent.purge import repository
from services.consent.registre import Registre
from shared import ouvertures
from shared.db import Database
from shared.jobs import Handler, JobContext, enqueue

KIND = "consent.purge"
PARIS = ZoneInfo("Europe/Paris")
HEURE_PURGE = time(2, 0)
LOT = 1000


@dataclass(frozen=True)
class Bilan:
    jour: date
    declarations: list[str]
    simulation: bool


def jour_paris(instant: datetime) -> date:
    return instant.astimezone(PARIS).date()


async def _detruire(
    session: AsyncSession, registre: Registre, lot: list[tuple[str, str]], now: datetime
) -> None:
    """Destroy a batch: set-based Core deletes (one statement per table, no ORM bookkeeping), then the
    accounts no remaining declaration uses, then one `declaration.purgee` leaf per declaration,
    appended to the registry's log (its head row locked until the caller's commit)."""
    ids = [declaration_id for declaration_id, _ in lot]
    # The notices of rectification decisions are keyed by version: found before the versions go.
    cles = [avis.cle_unique(i, f"rectification:{n}") for i, n in await repository.rectifiees(session, ids)]
    # The notices to the declarant (`declarations.avis`), sent or not, name the declaration: gone too.
    cles += [avis.cle_unique(i, sujet) for i in ids for sujet in avis.SUJETS]
    await repository.supprimer(session, ids, personnes={personne for _, personne in lot}, cles_jobs=cles)
    # The purge leaves commit to the ids like any v2 leaf, and no opening is kept, of them or of any
    # earlier leaf about these declarations: from now on the log cannot be linked to them.
    await ouvertures.oublier(session, OUVERTURES, ids)
    feuilles = [feuille("declaration.purgee", now, {"declaration_id": i})[0] for i in ids]
    await registre.journal.append_many(session, feuilles, now=now)


async def purger(
    session: AsyncSession,
    registre: Registre,
    *,
    now: datetime,
    simulation: bool = False,
    lots: int | None = None,
) -> Bilan:
    """Destroy every declaration due on the Paris day of `now` (or only list them, `simulation`);
    at most `lots` batches of `LOT` when given (the daily job: the rest in a job of its own)."""
    jour = jour_paris(now)
    if simulation:
        return Bilan(jour, await repository.dues(session, jour), True)
    await repository.preparer(session)
    purgees: list[str] = []
    while (lots is None or len(purgees) < lots * LOT) and (lot := await repository.lot(session, jour, LOT)):
        await _detruire(session, registre, lot, now)
        purgees.extend(declaration_id for declaration_id, _ in lot)
    return Bilan(jour, purgees, False)


async def purger_par_lots(db: Database, registre: Registre, *, now: datetime, pause: float = 0.0) -> Bilan:
    """`purger` with one transaction per batch of `LOT` declarations (the CLI).

    Each batch appends its `declaration.purgee` leaves last, in its own transaction: the log's head
    row stays locked from that append to the commit, ~20 ms for 1,000 leaves (the service's
    consultations queue their leaves and never wait for it; requests that wait for their leaf's
    integration wait that long at most). Appending rather than queueing spares each batch a thousand
    queue rows written then taken (dead rows every later integration skips) and an integration
    transaction of its own, and the service's integration loop never takes the purge's thousand
    leaves on its event loop (bench/purge). Short transactions keep each batch's row locks brief. A
    failure between batches leaves whole batches destroyed and the rest due for the next run.
    `LOT` = 1,000: fewer statements and commits per declaration than 500 (10,000 declarations in one
    process on PostgreSQL: 2.2 s instead of 2.9 s; 200 slowed consultations more, bench/purge).

    `pause`: after each batch, wait `pause` times as long as the batch took, so that the service's
    requests have the machine to themselves that long (the purge's PostgreSQL backend cannot be
    reniced; bench/purge measures what it buys the consultations' p99).
    """
    jour = jour_paris(now)
    purgees: list[str] = []
    horloge = asyncio.get_running_loop()
    while True:
        debut = horloge.time()
        async with db.transaction() as session:
            await repository.preparer(session)
            lot = await repository.lot(session, jour, LOT)
            if lot:
                await _detruire(session, registre, lot, now)
        purgees.extend(declaration_id for declaration_id, _ in lot)
        if len(lot) < LOT:
            return Bilan(jour, purgees, False)
        if pause > 0:
            await asyncio.sleep(pause * (horloge.time() - debut))


async def planifier(session: AsyncSession, apres: date, *, now: datetime) -> None:
    """Schedule the purge of the day after `apres` at 02:00 Paris time (once per day)."""
    jour = apres + timedelta(days=1)
    run_at = datetime.combine(jour, HEURE_PURGE, tzinfo=PARIS)
    await enqueue(
        session,
        JOB_TABLES,
        KIND,
        {"jour": jour.isoformat()},
        run_at=run_at,
        now=now,
        unique_key=f"{KIND}:{jour}",
    )


async def amorcer(session: AsyncSession, *, now: datetime) -> None:
    """Make sure the next 02:00 (Paris) purge is scheduled (service start); never doubles a day."""
    jour = jour_paris(now)
    if now < datetime.combine(jour, HEURE_PURGE, tzinfo=PARIS):
        jour -= timedelta(days=1)
    await planifier(session, jour, now=now)


def make_handler(registre: Registre) -> Handler:
    """The daily job: one batch of `LOT` per job's transaction (short row locks, one commit per batch,
    as the CLI); while a full batch was destroyed, another job continues at once, and the next
    day's purge is scheduled (once per day, whichever run gets there first)."""

    async def handler(ctx: JobContext) -> None:
        # Sessions that ended or expired more than a day ago are of no further use to anyone.
        await repository.supprimer_sessions_finies(ctx.session, avant=ctx.now - timedelta(days=1))
        bilan = await purger(ctx.session, registre, now=ctx.now, lots=1)
        if len(bilan.declarations) >= LOT:
            await enqueue(
                ctx.session,
                JOB_TABLES,
                KIND,
                {"jour": bilan.jour.isoformat(), "suite_de": ctx.job_id},
                run_at=ctx.now,
                now=ctx.now,
                unique_key=f"{KIND}:{bilan.jour}:suite:{ctx.job_id}",
            )
        await planifier(ctx.session, bilan.jour, now=ctx.now)

    return handler
