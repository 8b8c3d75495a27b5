"""Event intake (idempotent on the event id) and the office's pull feed.

Intake stores the event as received, then, in the same transaction, creates the webhook deliveries
of the office's matching subscriptions and, for `acte.envoye`, the avis de mise à disposition job.
A replay of the same id (the relay retries until it sees a 2xx) changes nothing; the same id with
another content is a conflict. Concurrent replays meet on the unique index: the loser's savepoint
rolls back and it answers as a replay.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.abonnements.service import actifs_pour
from services.notify.avis import service as avis
from services.notify.errors import EvenementDivergent
from services.notify.evenements import repository
from services.notify.evenements.schemas import EvenementRecu
from services.notify.livraisons import service as livraisons
from services.notify.models import Evenement


def _office_of(recu: EvenementRecu) -> str | None:
    office = recu.donnees.get("office_id")
    return office if isinstance(office, str) and 0 < len(office) <= 64 else None


async def _existant(session: AsyncSession, recu: EvenementRecu) -> Evenement | None:
    found = await repository.par_id(session, recu.id)
    if found is not None and (found.type != recu.type or found.donnees != recu.donnees):
        raise EvenementDivergent("Un événement de même identifiant a déjà été reçu avec un autre contenu.")
    return found


async def recevoir(session: AsyncSession, recu: EvenementRecu, *, now: datetime) -> tuple[Evenement, bool]:
    """(the stored event, whether it was already known)."""
    existing = await _existant(session, recu)
    if existing is not None:
        return existing, True
    evenement = Evenement(
        id=recu.id,
        type=recu.type,
        source=recu.source,
        office_id=_office_of(recu),
        cree_le=recu.cree_le,
        recu_le=now,
        donnees=recu.donnees,
    )
    try:
        async with session.begin_nested():
            repository.ajouter(session, evenement)
    except IntegrityError:
        existing = await _existant(session, recu)
        if existing is None:  # pragma: no cover - the unique index is the only constraint
            raise
        return existing, True
    if evenement.office_id is not None:
        abonnements = await actifs_pour(session, office_id=evenement.office_id, type_=evenement.type)
        await livraisons.planifier(session, evenement, abonnements, now=now)
    if evenement.type == avis.TYPE_DECLENCHEUR:
        await avis.planifier(session, evenement, now=now)
    return evenement, False


async def flux(session: AsyncSession, *, office_id: str, apres: int, limite: int) -> list[Evenement]:
    return list(await repository.flux_de_l_office(session, office_id=office_id, apres=apres, limite=limite))
