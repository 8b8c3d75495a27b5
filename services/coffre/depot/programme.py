"""The durable job `acte.envoi_programme`: a scheduled sending, with every gate run again.

At the scheduled instant the document is validated again (certificate still valid, blob intact),
consent is asked again (it may have been revoked meanwhile), competence and legal hours are checked
again. If a gate now refuses, the acte is cancelled (`annule`, an `annulation` leaf) and the office
is told through a `notification.echec` event; if the job runs late and has left legal hours, it is
put off to the next legal instant.
"""

from __future__ import annotations

import logging

from services.coffre.contexte import Coffre
from services.coffre.depot import controles, repository
from services.coffre.depot.envoi import enregistrer_envoi, evenement
from services.coffre.journal.repertoire import instant
from services.coffre.models import JOB_TABLES, Acte
from shared.errors import ServiceError, ServiceIndisponible
from shared.jobs import Handler, JobContext, RetryLater, emit_event

logger = logging.getLogger("signif.coffre.programme")


def handler_envoi_programme(coffre: Coffre) -> Handler:
    async def envoyer(ctx: JobContext) -> None:
        acte = await repository.acte(ctx.session, ctx.payload["acte_id"])
        if acte is None or acte.statut != "programme":
            return
        now = ctx.now
        try:
            await controles.controler_document(coffre, acte.sha256, at=now)
            consentement = await controles.controler_consentement(
                coffre, {"declaration_id": acte.declaration_id}, nature=acte.nature, at=now
            )
            zone = ctx.payload.get("zone_justifiee")
            competence = controles.controler_competence(
                acte.office_cour_appel,
                consentement.territoire,
                zone_justifiee=zone if isinstance(zone, str) else None,
            )
            office = ctx.payload.get("office_commune_insee")
            decision = controles.decision_horaire(
                now,
                consentement.territoire,
                derogation=acte.derogation_664 is not None,
                envoi_differe=True,
                office=controles.territoire_office(office if isinstance(office, str) else None),
            )
        except ServiceIndisponible as exc:
            raise RetryLater(f"gate unavailable: {exc.code}") from exc
        except ServiceError as exc:
            await _annuler(ctx, coffre, acte, exc)
            return
        if decision.mode == "programmer":
            raise RetryLater("outside legal hours", delay=decision.instant - now)
        jeton = await coffre.horodatage.timestamp(bytes.fromhex(acte.sha256))
        await enregistrer_envoi(
            ctx.session,
            coffre,
            acte,
            now=now,
            jeton=jeton,
            consentement=consentement.portee,
            competence=competence,
        )

    return envoyer


async def _annuler(ctx: JobContext, coffre: Coffre, acte: Acte, exc: ServiceError) -> None:
    now = ctx.now
    acte.statut = "annule"
    acte.motif_annulation = f"{exc.code}: {exc.detail}"[:1000]
    index = await coffre.repertoire.ajouter(
        ctx.session,
        {"type": "annulation", "acte_id": acte.id, "motif": exc.code, "instant": instant(now)},
        now=now,
    )
    await evenement(
        ctx.session, acte.id, "annulation", now=now, journal_index=index, donnees={"motif": exc.code}
    )
    await emit_event(
        ctx.session,
        JOB_TABLES,
        "notification.echec",
        {"acte_id": acte.id, "office_id": acte.office_id, "detail": f"Envoi programmé annulé : {exc.detail}"},
        now=now,
    )
    logger.info("scheduled sending cancelled", extra={"acte_id": acte.id, "code": exc.code})
