"""The mode of the signification (CPC 662-1, 663): à personne or à domicile, fixed once.

At sending, `programmer_mode` enqueues the durable job `acte.mode` (unique per acte) at the local
midnight ending the day of sending in the destinataire's legal zone (`shared.legal_time.fin_du_jour`
over the territory of the acte's `commune_insee`). The job fixes `a_personne` when the recorded
prise de connaissance falls on that same local calendar day, else `a_domicile` with
`lettre_simple_due_le` = the first jour ouvrable after the day of sending in that territory. The
decision reads the recorded instant, not the time the job happens to run, and is written with a
conditional `UPDATE ... WHERE mode IS NULL`: a later download, a retried job or a late run never
changes it. It appends a `mode` leaf and emits `acte.mode_fixe`.

The lettre simple's posting (`enregistrer_lettre_simple`) is recorded once, with a `lettre_simple` leaf.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.contexte import Coffre
from services.coffre.journal.repertoire import instant
from services.coffre.models import JOB_TABLES, Acte, ActeEvenement
from services.coffre.reception.erreurs import LettreDejaEnvoyee, PasDeLettreSimple
from services.coffre.reception.prise import ajouter_evenement
from shared import legal_time
from shared.jobs import Handler, JobContext, emit_event, enqueue
from shared.territoire import Territoire, territoire_de

MODE_KIND = "acte.mode"


def territoire(acte: Acte) -> Territoire:
    return territoire_de(acte.commune_insee)


def echeance_mode(acte: Acte) -> datetime:
    """The local midnight ending the day of sending, in the destinataire's zone (UTC)."""
    if acte.envoye_le is None:
        raise ValueError("acte not sent")
    zone = territoire(acte)
    return legal_time.fin_du_jour(legal_time.jour_legal(acte.envoye_le, zone), zone)


async def programmer_mode(session: AsyncSession, acte: Acte, *, now: datetime) -> None:
    """Called in the sending transaction: schedule the end-of-day decision (idempotent per acte)."""
    await enqueue(
        session,
        JOB_TABLES,
        MODE_KIND,
        {"acte_id": acte.id},
        run_at=echeance_mode(acte),
        now=now,
        unique_key=f"{MODE_KIND}:{acte.id}",
    )


def decider(acte: Acte) -> tuple[str, date | None]:
    """(`a_personne`, None) or (`a_domicile`, due date of the lettre simple)."""
    if acte.envoye_le is None:
        raise ValueError("acte not sent")
    zone = territoire(acte)
    jour_envoi = legal_time.jour_legal(acte.envoye_le, zone)
    pris = acte.pris_connaissance_le
    if pris is not None and legal_time.jour_legal(pris, zone) == jour_envoi:
        return "a_personne", None
    return "a_domicile", legal_time.premier_jour_ouvrable_apres(jour_envoi, zone)


async def fixer_mode(session: AsyncSession, coffre: Coffre, acte_id: str, *, now: datetime) -> str | None:
    """Fix the mode if not fixed yet; returns the mode fixed by this call, or None."""
    acte = await session.get(Acte, acte_id, with_for_update=True)
    if acte is None or acte.mode is not None or acte.envoye_le is None:
        return None
    mode, due = decider(acte)
    resultat = await session.execute(
        update(Acte)
        .where(Acte.id == acte.id, Acte.mode.is_(None))
        .values(mode=mode, mode_fixe_le=now, lettre_simple_due_le=due)
        .execution_options(synchronize_session=False)
    )
    if resultat.rowcount != 1:  # type: ignore[attr-defined]
        return None
    due_txt = due.isoformat() if due else None
    evenement = ActeEvenement(
        acte_id=acte.id,
        type="mode_fixe",
        instant=now,
        donnees={"mode": mode, "lettre_simple_due_le": due_txt},
    )
    session.add(evenement)
    await coffre.repertoire.consigner(
        session,
        {
            "type": "mode",
            "acte_id": acte.id,
            "mode": mode,
            "lettre_simple_due_le": due_txt,
            "instant": instant(now),
        },
        now=now,
        evenement=evenement,
    )
    await emit_event(
        session,
        JOB_TABLES,
        "acte.mode_fixe",
        {"acte_id": acte.id, "office_id": acte.office_id, "mode": mode, "lettre_simple_due_le": due_txt},
        now=now,
    )
    return mode


def handler_mode(coffre: Callable[[], Coffre]) -> Handler:
    async def handle(ctx: JobContext) -> None:
        await fixer_mode(ctx.session, coffre(), str(ctx.payload["acte_id"]), now=ctx.now)

    return handle


async def enregistrer_lettre_simple(
    session: AsyncSession, coffre: Coffre, acte: Acte, envoyee_le: date, *, now: datetime
) -> int:
    """Record the posting of the lettre simple (once) with a `lettre_simple` leaf."""
    if acte.mode != "a_domicile":
        raise PasDeLettreSimple()
    resultat = await session.execute(
        update(Acte)
        .where(Acte.id == acte.id, Acte.lettre_simple_envoyee_le.is_(None))
        .values(lettre_simple_envoyee_le=envoyee_le)
        .execution_options(synchronize_session=False)
    )
    if resultat.rowcount != 1:  # type: ignore[attr-defined]
        raise LettreDejaEnvoyee()
    index = await coffre.repertoire.ajouter(
        session,
        {
            "type": "lettre_simple",
            "acte_id": acte.id,
            "envoyee_le": envoyee_le.isoformat(),
            "instant": instant(now),
        },
        now=now,
    )
    ajouter_evenement(
        session,
        acte.id,
        "lettre_simple_envoyee",
        now=now,
        journal_index=index,
        donnees={"envoyee_le": envoyee_le.isoformat()},
    )
    return index
