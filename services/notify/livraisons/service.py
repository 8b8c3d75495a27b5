"""Webhook deliveries: one per (event, subscription), attempted by durable jobs until delivered.

Each attempt is its own job run whose transaction records the attempt and schedules the next one;
a failed attempt therefore never rolls back its own record (a handler that raised would). Retry
schedule (Standard Webhooks' example): immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
20 h and 24 h, ten attempts over 75 h 35 min (more than three days). A 410 Gone disables the
subscription; its other deliveries are abandoned at their next attempt. `webhook-id` is the event
id, stable across attempts and redeliveries, so the office deduplicates on it. A worker that dies
mid-attempt leaves a leased job that is taken again: the office may get a duplicate, same id.

The HTTP call runs before the job's own session is first used, so on SQLite no write lock is held
while waiting for the office's server; what the attempt needs is read in a short separate
transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.abonnements.service import secret_de
from services.notify.abonnements.url import est_courriel
from services.notify.livraisons import courriel, envoi, repository
from services.notify.models import JOB_TABLES, Abonnement, Evenement, Livraison, TentativeLivraison
from services.notify.runtime import NotifyRuntime
from shared.errors import Conflit, Introuvable
from shared.jobs import JobContext, enqueue

KIND = "notify.webhook"
DELAIS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
TENTATIVES_PLANIFIEES = len(DELAIS) + 1


async def _planifier_tentative(
    session: AsyncSession, livraison_id: str, *, rang: int | None, run_at: datetime, now: datetime
) -> None:
    unique = f"webhook:{livraison_id}:{rang}" if rang is not None else None
    payload: dict[str, Any] = {"livraison_id": livraison_id, "rang": rang}
    # The job itself only runs the attempt: retries are new jobs, so one attempt per job run.
    await enqueue(
        session, JOB_TABLES, KIND, payload, run_at=run_at, now=now, unique_key=unique, max_attempts=3
    )


async def planifier(
    session: AsyncSession, evenement: Evenement, abonnements: list[Abonnement], *, now: datetime
) -> None:
    """In the intake transaction: one delivery per matching subscription, first attempt now."""
    for abonnement in abonnements:
        livraison = Livraison(
            id=str(uuid.uuid4()),
            evenement_id=evenement.id,
            abonnement_id=abonnement.id,
            office_id=abonnement.office_id,
            statut="en_attente",
            tentatives=0,
            cree_le=now,
            livree_le=None,
            prochaine_tentative_le=now,
        )
        await repository.ajouter(session, livraison)
        await _planifier_tentative(session, livraison.id, rang=1, run_at=now, now=now)


@dataclass(frozen=True)
class _AEnvoyer:
    livraison: Livraison
    evenement: Evenement
    abonnement: Abonnement
    secret: str


async def _charger(notify: NotifyRuntime, livraison_id: str) -> _AEnvoyer | None:
    async with notify.db.transaction() as session:
        row = await repository.avec_evenement_et_abonnement(session, livraison_id)
        if row is None:
            return None
        livraison, evenement, abonnement = row
        secret = secret_de(abonnement, notify.keys) if abonnement.statut == "actif" else ""
        return _AEnvoyer(livraison, evenement, abonnement, secret)


def make_handler(notify: NotifyRuntime) -> Any:
    settings = notify.settings

    async def tenter(ctx: JobContext) -> None:
        rang: int | None = ctx.payload.get("rang")
        found = await _charger(notify, ctx.payload["livraison_id"])
        if found is None:
            return
        livraison = found.livraison
        if rang is not None and livraison.statut != "en_attente":
            return  # delivered meanwhile (e.g. by hand), given up or abandoned
        if found.abonnement.statut != "actif":
            await repository.abandonner_si_en_attente(ctx.session, livraison.id)
            return
        if est_courriel(found.abonnement.url):
            message = courriel.message_office(
                evenement_id=found.evenement.id,
                type_=found.evenement.type,
                donnees=found.evenement.donnees,
                expediteur=settings.mail_from,
                destinataire=found.abonnement.url.removeprefix("mailto:"),
                now=ctx.now,
            )
            resultat = await courriel.envoyer(notify.mailer, message)
            await _enregistrer(ctx.session, found, resultat, rang=rang, now=ctx.now)
            return
        body = envoi.corps(
            evenement_id=found.evenement.id,
            type_=found.evenement.type,
            cree_le=found.evenement.cree_le,
            donnees=found.evenement.donnees,
        )
        resultat = await envoi.envoyer(
            notify.webhooks,
            url=found.abonnement.url,
            webhook_id=found.evenement.id,
            body=body,
            secret=found.secret,
            platform_key=notify.webhook_key,
            now=ctx.now,
            delai=settings.webhook_timeout,
            max_bytes=settings.webhook_max_response_bytes,
        )
        await _enregistrer(ctx.session, found, resultat, rang=rang, now=ctx.now)

    return tenter


async def _enregistrer(
    session: AsyncSession, found: _AEnvoyer, resultat: envoi.Resultat, *, rang: int | None, now: datetime
) -> None:
    livraison = await repository.par_numero(session, found.livraison.numero)
    livraison.tentatives += 1
    repository.ajouter_tentative(
        session,
        TentativeLivraison(
            livraison_id=livraison.id,
            numero=livraison.tentatives,
            manuelle=rang is None,
            debut_le=now,
            duree_ms=resultat.duree_ms,
            statut="succes" if resultat.succes else "echec",
            code_reponse=resultat.code_reponse,
            classe_erreur=resultat.classe_erreur,
            octets_lus=resultat.octets_lus,
            reponse_tronquee=resultat.reponse_tronquee,
        ),
    )
    if resultat.succes:
        livraison.statut, livraison.livree_le, livraison.prochaine_tentative_le = "livree", now, None
        return
    if resultat.gone:
        await repository.desactiver_abonnement(session, found.abonnement.id, now=now)
        livraison.statut, livraison.prochaine_tentative_le = "abandonnee", None
        return
    if rang is None:
        return  # a redelivery by hand never changes the schedule
    if rang < TENTATIVES_PLANIFIEES:
        run_at = now + DELAIS[rang - 1]
        livraison.prochaine_tentative_le = run_at
        await _planifier_tentative(session, livraison.id, rang=rang + 1, run_at=run_at, now=now)
    else:
        livraison.statut, livraison.prochaine_tentative_le = "echec", None


async def lister(
    session: AsyncSession, *, office_id: str, statut: str | None, apres: int, limite: int
) -> list[tuple[Livraison, Evenement, list[TentativeLivraison]]]:
    return await repository.page_de_l_office(
        session, office_id=office_id, statut=statut, apres=apres, limite=limite
    )


async def relivrer(session: AsyncSession, *, office_id: str, livraison_id: str, now: datetime) -> Livraison:
    livraison = await repository.de_l_office(session, office_id=office_id, livraison_id=livraison_id)
    if livraison is None:
        raise Introuvable("Livraison introuvable.")
    abonnement = await repository.abonnement(session, livraison.abonnement_id)
    if abonnement.statut != "actif":
        raise Conflit("L'abonnement de cette livraison est désactivé ou supprimé.")
    await _planifier_tentative(session, livraison.id, rang=None, run_at=now, now=now)
    return livraison
