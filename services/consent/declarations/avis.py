"""E-mails to the declarant about her declaration: accepted, rejected (with the operator's motif and
what to do), ending in 30 days (a fixed-term declaration), revoked; and the operator's decision on a
rectification of her identity or domicile (`declarations.rectification`), with its motif.

Durable jobs (`KIND`), enqueued in the transaction that decides or revokes, so a crash loses none and
a notify outage only delays them (retried with back-off). The job holds only the declaration's id and
the subject: her address and the motif are read (decrypted) when the message leaves, never stored in
the jobs table; a declaration purged meanwhile sends nothing, and the purge deletes its jobs
(`cle_unique`), so no row keeps its id. The 30-day notice runs at 09:00 in her
legal time zone, 30 days before `fin`, and only if the declaration is still active with that end.
notify writes and sends the message (`POST /notify/v1/interne/declarations/avis`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.declarations import repository
from services.consent.declarations.vue import contenu_version
from services.consent.models import JOB_TABLES, Declaration, Version
from services.consent.registre import Registre
from shared.crypto.aead import decrypt
from shared.errors import ServiceIndisponible
from shared.jobs import Handler, JobContext, RetryLater, enqueue

KIND = "consent.avis.declarant"
JOURS_AVANT_FIN = 30
HEURE_AVIS_FIN = time(9, 0)
SUJETS = ("acceptee", "rejetee", "fin_prochaine", "revoquee")
#: The decision on a rectification: one message per rectified version (key `rectification:<n>`).
SUJETS_RECTIFICATION = ("rectification_acceptee", "rectification_rejetee")


def cle_unique(declaration_id: str, sujet: str) -> str:
    """One message of each subject per declaration (the purge deletes these jobs by this key)."""
    return f"{KIND}:{declaration_id}:{sujet}"


async def planifier(
    session: AsyncSession,
    declaration: Declaration,
    sujet: str,
    *,
    now: datetime,
    run_at: datetime | None = None,
    fin: date | None = None,
    version: int | None = None,
) -> None:
    payload: dict[str, object] = {"declaration_id": declaration.id, "sujet": sujet}
    if fin is not None:
        payload["fin"] = fin.isoformat()
    cle = cle_unique(declaration.id, sujet)
    if version is not None:  # a rectification's decision
        payload["version"] = version
        cle = cle_unique(declaration.id, f"rectification:{version}")
    await enqueue(
        session,
        JOB_TABLES,
        KIND,
        payload,
        run_at=run_at or now,
        now=now,
        unique_key=cle,
        max_attempts=20,
    )


async def planifier_fin(
    session: AsyncSession, declaration: Declaration, version: Version, *, now: datetime
) -> None:
    """The notice 30 days before a fixed-term declaration ends (at once if that day has passed)."""
    if version.fin is None or repository.jour_local(now, version.fuseau) > version.fin:
        return
    jour = version.fin - timedelta(days=JOURS_AVANT_FIN)
    run_at = datetime.combine(jour, HEURE_AVIS_FIN, tzinfo=ZoneInfo(version.fuseau))
    await planifier(session, declaration, "fin_prochaine", now=now, run_at=max(run_at, now), fin=version.fin)


def make_handler(registre: Registre) -> Handler:
    async def handler(ctx: JobContext) -> None:
        declaration = await repository.trouver(ctx.session, str(ctx.payload["declaration_id"]))
        sujet = str(ctx.payload["sujet"])
        if declaration is None or sujet not in SUJETS + SUJETS_RECTIFICATION:
            return  # purged meanwhile: nobody to tell, nothing to read
        version = await repository.version_courante(ctx.session, declaration)
        if sujet == "fin_prochaine" and (
            repository.statut_effectif(declaration, version, ctx.now) != "active"
            or version.fin is None
            or version.fin.isoformat() != ctx.payload.get("fin")
        ):
            return  # revoked, or its end changed: this notice no longer holds
        dek = await chiffrement.cle_de(ctx.session, registre.keys, declaration.id)
        email = contenu_version(dek, version)["contact"].get("email")
        if not email:
            return
        motif = None
        if sujet == "rejetee" and declaration.motif_chiffre is not None:
            contexte = chiffrement.contexte(declaration.id, "motif")
            motif = decrypt(dek, declaration.motif_chiffre, context=contexte).decode()
        instant = {"acceptee": declaration.decidee_le, "rejetee": declaration.decidee_le}.get(sujet)
        if sujet in SUJETS_RECTIFICATION:
            rectifiee = await repository.version(
                ctx.session, declaration.id, int(str(ctx.payload["version"]))
            )
            if rectifiee is None or rectifiee.motif_chiffre is None:
                return
            contexte = chiffrement.contexte(declaration.id, "versions", str(rectifiee.numero), "motif")
            motif = decrypt(dek, rectifiee.motif_chiffre, context=contexte).decode()
            instant = rectifiee.decidee_le
        if sujet == "revoquee":
            instant = declaration.revoquee_le
        try:
            await registre.avis_declarant(
                {
                    "email": str(email),
                    "sujet": sujet,
                    "numero": declaration.numero,
                    "instant": (instant or ctx.now).isoformat(),
                    "fuseau": version.fuseau,
                    "motif": motif,
                    "fin": version.fin.isoformat() if version.fin else None,
                }
            )
        except ServiceIndisponible as exc:
            raise RetryLater("avis au déclarant : notify indisponible") from exc

    return handler
