"""Avis de mise à disposition (CPC 748-3 flow): on `acte.envoye`, e-mail the destinataire.

Two durable jobs, so a retry never re-sends an e-mail already sent:
1. `notify.avis.envoyer`: fetch the declaration's channel from consent (never an address given by
   the commissaire), ask the coffre for a fresh retrieval link, send the e-mail, and record the
   outcome here with its instant and Message-ID. Transient failures (consent, coffre or SMTP down)
   are retried with backoff; a definitive failure, or the last attempt, records an `echec`.
2. `notify.avis.rapporter`: report that outcome to the coffre, which records it as evidence (a
   répertoire leaf) and, on `echec`, emits `notification.echec` to the office. Retried until 2xx.

Why the calls back to consent and the coffre rather than data carried along with the event: the
coffre never holds the destinataire's address (consent does, encrypted), and a retrieval token must
exist in clear nowhere but in the e-mail — so neither may travel in an outbox row or a job payload;
each is fetched from its owner at sending time (README, "Why the avis de mise à disposition goes back
and forth").
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.avis import clients, repository
from services.notify.courriel.mailer import EnvoiImpossible
from services.notify.courriel.messages import AvisContenu, avis_mise_a_disposition
from services.notify.models import JOB_TABLES, AvisMiseADisposition, Evenement
from services.notify.runtime import NotifyRuntime
from shared.jobs import Handler, JobContext, RetryLater, enqueue
from shared.outbox import rfc3339

logger = logging.getLogger("signif.notify.avis")

TYPE_DECLENCHEUR = "acte.envoye"
KIND_ENVOYER = "notify.avis.envoyer"
KIND_RAPPORTER = "notify.avis.rapporter"
TENTATIVES_ENVOI = 12  # runner backoff 30 s ... 6 h: about 14 hours before giving up


async def planifier(session: AsyncSession, evenement: Evenement, *, now: datetime) -> None:
    acte_id = evenement.donnees.get("acte_id")
    await enqueue(
        session,
        JOB_TABLES,
        KIND_ENVOYER,
        {"evenement_id": evenement.id},
        run_at=now,
        now=now,
        unique_key=f"avis:{acte_id or evenement.id}",
        max_attempts=TENTATIVES_ENVOI,
    )


def _texte(donnees: dict[str, Any], cle: str, defaut: str) -> str:
    value = donnees.get(cle)
    return value if isinstance(value, str) and value else defaut


@dataclass(frozen=True)
class Remis:
    """What the coffre records of an avis handed to the mail server (CPC 748-3: date and hour)."""

    canal: str
    message_id: str
    message_sha256: str  # of the RFC 5322 message handed over, lines ended by LF (SMTP sends CRLF)
    adresse_masquee: str
    remis_le: datetime  # when the mail server accepted it


def masquer(adresse: str) -> str:
    """`e••••t@example.org`: enough for a judge to match the declared address, not to read it."""
    local, _, domaine = adresse.rpartition("@")
    if len(local) <= 2:
        return f"{local[:1]}•@{domaine}"
    return f"{local[0]}{'•' * min(len(local) - 2, 6)}{local[-1]}@{domaine}"


async def _envoyer_courriel(notify: NotifyRuntime, evenement: Evenement, now: datetime) -> Remis:
    """The avis handed to the mail server; raises `clients.Definitif` / transient errors."""
    donnees = evenement.donnees
    acte_id, declaration_id = donnees.get("acte_id"), donnees.get("declaration_id")
    if not isinstance(acte_id, str) or not isinstance(declaration_id, str):
        raise clients.Definitif("événement incomplet : acte_id ou declaration_id manquant")
    canal = await clients.canal(notify, declaration_id)
    if not canal.email:
        raise clients.Definitif("aucune adresse électronique déclarée")
    lien = await clients.lien(notify, acte_id)
    envoye_le = evenement.cree_le
    raw_envoye = donnees.get("envoye_le")
    if isinstance(raw_envoye, str):
        try:
            envoye_le = datetime.fromisoformat(raw_envoye)
        except ValueError:
            envoye_le = evenement.cree_le
    contenu = AvisContenu(
        commissaire_nom=_texte(donnees, "commissaire_nom", "Un commissaire de justice"),
        office_nom=_texte(donnees, "office_nom", "office de commissaire de justice"),
        nature_libelle=_texte(donnees, "nature_libelle", _texte(donnees, "nature", "acte")),
        envoye_le=envoye_le,
        lien=lien.url,
        expire_le=lien.expire_le,
        fuseau=lien.fuseau,
    )
    message = avis_mise_a_disposition(
        contenu, expediteur=notify.settings.mail_from, destinataire=canal.email, maintenant=now
    )
    octets = message.as_bytes()
    await notify.mailer.send(message, lien=lien.url)
    remis_le = notify.clock.now()
    if canal.mobile:
        texte = "Un acte de commissaire de justice vous a été signifié : consultez votre messagerie."
        try:
            await notify.sms.send(canal.mobile, texte)
        except Exception:  # the e-mail is the legal channel; an SMS failure must not undo it
            logger.warning("sms failed", extra={"acte_id": acte_id})
    return Remis(
        canal="email",
        message_id=str(message["Message-ID"]).strip("<>"),
        message_sha256=hashlib.sha256(octets).hexdigest(),
        adresse_masquee=masquer(canal.email),
        remis_le=remis_le,
    )


def make_envoyer(notify: NotifyRuntime) -> Handler:
    async def envoyer(ctx: JobContext) -> None:
        async with notify.db.transaction() as lecture:
            evenement = await repository.evenement(lecture, ctx.payload["evenement_id"])
            acte_id = evenement.donnees.get("acte_id") if evenement is not None else None
            deja = isinstance(acte_id, str) and await repository.deja_envoye(lecture, acte_id)
        if evenement is None or deja:
            return
        acte_key = acte_id if isinstance(acte_id, str) else evenement.id
        statut, detail, remis = "envoye", None, None
        try:
            remis = await _envoyer_courriel(notify, evenement, ctx.now)
        except clients.Definitif as exc:
            statut, detail = "echec", str(exc)
        except (clients.Transitoire, httpx.HTTPError, EnvoiImpossible) as exc:
            if ctx.attempt < TENTATIVES_ENVOI:
                raise RetryLater(f"avis: {type(exc).__name__}") from exc
            statut, detail = "echec", f"échec après {ctx.attempt} tentatives ({type(exc).__name__})"
        repository.ajouter(
            ctx.session,
            AvisMiseADisposition(
                id=str(uuid.uuid4()),
                acte_id=acte_key,
                evenement_id=evenement.id,
                statut=statut,
                canal=remis.canal if remis else "email",
                envoye_le=remis.remis_le if remis else ctx.now,
                message_id=remis.message_id if remis else None,
                message_sha256=remis.message_sha256 if remis else None,
                adresse_masquee=remis.adresse_masquee if remis else None,
                detail=detail[:1000] if detail else None,
                rapporte_le=None,
            ),
        )
        await enqueue(
            ctx.session,
            JOB_TABLES,
            KIND_RAPPORTER,
            {"acte_id": acte_key},
            run_at=ctx.now,
            now=ctx.now,
            unique_key=f"avis-rapport:{acte_key}",
            max_attempts=40,
        )

    return envoyer


def make_rapporter(notify: NotifyRuntime) -> Handler:
    async def rapporter(ctx: JobContext) -> None:
        async with notify.db.transaction() as lecture:
            avis = await repository.avis_de_l_acte(lecture, ctx.payload["acte_id"])
        if avis is None or avis.rapporte_le is not None:
            return
        corps = {
            "statut": avis.statut,
            "canal": avis.canal,
            "envoye_le": rfc3339(avis.envoye_le),
            "message_id": avis.message_id,
            "message_sha256": avis.message_sha256,
            "adresse_masquee": avis.adresse_masquee,
            "detail": avis.detail,
        }
        try:
            await clients.rapporter(notify, avis.acte_id, corps)
        except (clients.Transitoire, httpx.HTTPError) as exc:
            raise RetryLater(f"rapport: {type(exc).__name__}") from exc
        await repository.marquer_rapporte(ctx.session, avis.id, now=ctx.now)

    return rapporter
