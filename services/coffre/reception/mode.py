"""The mode of the signification (CPC 662-1, 663): à personne or à domicile, fixed once.

At sending, `programmer_mode` enqueues the durable job `acte.mode` (unique per acte) at the local
midnight ending the day of sending in the destinataire's legal zone (`shared.legal_time.fin_du_jour`
over the territory of the acte's `commune_insee`). The job fixes `a_personne` when the recorded
prise de connaissance falls on that same local calendar day, else `a_domicile` with
`lettre_simple_due_le` = the first jour ouvrable after the day of sending in that territory. The
decision reads the recorded instant, not the time the job happens to run, and is written with a
conditional `UPDATE ... WHERE mode IS NULL`: a later download, a retried job or a late run never
changes it. It appends a `mode` leaf and emits `acte.mode_fixe`.

The lettre simple's posting (`enregistrer_lettre_simple`) is dated after the day of the envoi and not
after today, and recorded with a `lettre_simple` leaf; a correction is a new record and a new leaf, with its
reason, naming the one it corrects.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.contexte import Coffre
from services.coffre.journal.repertoire import instant
from services.coffre.models import JOB_TABLES, Acte, LettreSimpleEnvoi
from services.coffre.reception import repository
from services.coffre.reception.erreurs import (
    CorrectionSansEnvoi,
    LettreAvantEnvoi,
    LettreDateFuture,
    LettreDejaEnvoyee,
    PasDeLettreSimple,
)
from shared import legal_time
from shared.jobs import Handler, JobContext, emit_event, enqueue
from shared.territoire import Territoire, TerritoireInvalide, territoire_de

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
    acte = await repository.acte_verrouille(session, acte_id)
    if acte is None or acte.mode is not None or acte.envoye_le is None:
        return None
    mode, due = decider(acte)
    if not await repository.fixer_mode(session, acte.id, mode, now=now, due=due):
        return None
    due_txt = due.isoformat() if due else None
    evenement = repository.ajouter_evenement(
        session, acte.id, "mode_fixe", now=now, donnees={"mode": mode, "lettre_simple_due_le": due_txt}
    )
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
        {
            "acte_id": acte.id,
            "office_id": acte.office_id,
            "mode": mode,
            "lettre_simple_due_le": due_txt,
            "fuseau": acte.fuseau,
        },
        now=now,
    )
    return mode


def handler_mode(coffre: Coffre) -> Handler:
    async def handle(ctx: JobContext) -> None:
        await fixer_mode(ctx.session, coffre, str(ctx.payload["acte_id"]), now=ctx.now)

    return handle


#: Clock skew tolerated between the office's clock and the platform's when a posting is dated today.
TOLERANCE_HORLOGE = timedelta(minutes=5)


@dataclass(frozen=True)
class EnvoiEnregistre:
    envoyee_le: date
    journal_index: int
    corrige_index: int | None


def _controler_date(acte: Acte, envoyee_le: date, *, now: datetime, office_commune: str | None) -> None:
    """A posting is dated after the day of the envoi and not after today (CPC 662-1 al. 3).

    The letter tells her that the signification was made à domicile, which is only so once the day of
    the envoi has ended without her taking cognisance: it is due « le premier jour ouvrable » after it,
    so a posting dated on the day of the envoi itself is refused as well as an earlier one. The day of
    the envoi is that of the destinataire's legal zone, as the mode and the due date are.
    « Today » is the latest local day, `TOLERANCE_HORLOGE` ahead, among the destinataire's zone and
    the office's: an office in Réunion posts on its own calendar day.
    """
    if acte.envoye_le is None:
        raise PasDeLettreSimple()
    zone = territoire(acte)
    jour_envoi = legal_time.jour_legal(acte.envoye_le, zone)
    if envoyee_le <= jour_envoi:
        raise LettreAvantEnvoi(
            f"Date de dépôt {envoyee_le.isoformat()} : la lettre simple se poste après le jour de "
            f"l'envoi de l'acte ({jour_envoi.isoformat()}, fuseau {zone.fuseau}).",
            extra={"jour_envoi": jour_envoi.isoformat()},
        )
    zones: list[Territoire] = [zone]
    if office_commune:
        with contextlib.suppress(TerritoireInvalide):
            zones.append(territoire_de(office_commune))
    aujourd_hui = max(legal_time.jour_legal(now + TOLERANCE_HORLOGE, z) for z in zones)
    if envoyee_le > aujourd_hui:
        raise LettreDateFuture(
            f"Date de dépôt {envoyee_le.isoformat()} postérieure à aujourd'hui ({aujourd_hui.isoformat()}) : "
            "enregistrez l'envoi une fois la lettre postée.",
            extra={"aujourd_hui": aujourd_hui.isoformat()},
        )


async def enregistrer_lettre_simple(
    session: AsyncSession,
    coffre: Coffre,
    acte: Acte,
    envoyee_le: date,
    *,
    now: datetime,
    commissaire_sub: str,
    motif: str | None = None,
    office_commune: str | None = None,
) -> EnvoiEnregistre:
    """Record the posting of the lettre simple, or correct the current record when `motif` is given.

    Every record is a new `lettres_simples_envois` row and a new `lettre_simple` leaf; a correction's
    leaf names the leaf it corrects (`corrige`) and the SHA-256 of its reason (`motif_sha256`; the
    reason itself, free text, stays out of the public log and goes into the evidence bundle). Nothing
    recorded is ever overwritten; `actes.lettre_simple_envoyee_le` follows the current record.
    """
    # Concurrent records of one acte's posting wait for each other (the acte's row is locked): each sees
    # the previous one's record, so two corrections at once chain instead of both correcting the same.
    await repository.verrouiller(session, acte)
    if acte.mode != "a_domicile":
        raise PasDeLettreSimple()
    _controler_date(acte, envoyee_le, now=now, office_commune=office_commune)
    courant = await repository.dernier_envoi_lettre(session, acte.id)
    if courant is None and motif is not None:
        raise CorrectionSansEnvoi("Aucun envoi enregistré : enregistrez-le d'abord, sans motif.")
    if courant is not None and motif is None:
        raise LettreDejaEnvoyee(
            f"Envoi déjà enregistré (posté le {courant.envoyee_le.isoformat()}) ; pour le corriger, "
            "renvoyez la date exacte avec un « motif ».",
            extra={"envoyee_le": courant.envoyee_le.isoformat()},
        )
    precedente = acte.lettre_simple_envoyee_le
    if not await repository.noter_lettre_envoyee(session, acte.id, envoyee_le, precedente=precedente):
        raise LettreDejaEnvoyee()
    feuille: dict[str, Any] = {
        "type": "lettre_simple",
        "acte_id": acte.id,
        "envoyee_le": envoyee_le.isoformat(),
        "instant": instant(now),
    }
    if courant is not None and motif is not None:
        feuille["corrige"] = courant.journal_index
        feuille["motif_sha256"] = hashlib.sha256(motif.encode("utf-8")).hexdigest()
    index = await coffre.repertoire.ajouter(session, feuille, now=now)
    repository.ajouter_envoi_lettre(
        session,
        LettreSimpleEnvoi(
            acte_id=acte.id,
            envoyee_le=envoyee_le,
            enregistre_le=now,
            commissaire_sub=commissaire_sub,
            corrige_id=courant.id if courant is not None else None,
            motif=motif,
            journal_index=index,
        ),
    )
    donnees: dict[str, object] = {"envoyee_le": envoyee_le.isoformat()}
    if courant is not None:
        donnees.update(corrige=courant.journal_index, precedente=courant.envoyee_le.isoformat(), motif=motif)
    repository.ajouter_evenement(
        session,
        acte.id,
        "lettre_simple_corrigee" if courant is not None else "lettre_simple_envoyee",
        now=now,
        journal_index=index,
        donnees=donnees,
    )
    return EnvoiEnregistre(envoyee_le, index, courant.journal_index if courant is not None else None)
