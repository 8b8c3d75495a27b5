"""Webhook subscriptions of an office: create (secret shown once), list, delete, read for signing.

Every query is scoped by the caller's office (`repository.py`). The `whsec_` secret is encrypted
under a per-record data key, itself wrapped by `NOTIFY_SECRET_KEY`, with the record's address as
associated data.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.abonnements import repository
from services.notify.abonnements.url import est_courriel, reseaux, valider_url, verifier
from services.notify.livraisons.signature import new_secret
from services.notify.models import Abonnement
from services.notify.settings import NotifySettings
from shared.crypto.aead import KeyProvider, decrypt_text, encrypt_text
from shared.errors import Introuvable


def _context(abonnement_id: str) -> str:
    return f"notify/abonnements/{abonnement_id}/secret"


async def creer(
    session: AsyncSession,
    *,
    office_id: str,
    cree_par: str,
    url: str,
    types: list[str],
    settings: NotifySettings,
    keys: KeyProvider,
    now: datetime,
) -> tuple[Abonnement, str]:
    url = valider_url(url)
    if not est_courriel(url):
        await verifier(url, reseaux(settings.webhook_allowlist))
    abonnement_id = str(uuid.uuid4())
    secret = new_secret()
    dek, wrapped = keys.new_data_key(context=_context(abonnement_id))
    abonnement = Abonnement(
        id=abonnement_id,
        office_id=office_id,
        url=url,
        types=sorted(set(types)),
        cle_chiffree=wrapped,
        secret_chiffre=encrypt_text(dek, secret, context=_context(abonnement_id)),
        statut="actif",
        cree_le=now,
        cree_par=cree_par,
        desactive_le=None,
    )
    await repository.ajouter(session, abonnement)
    return abonnement, secret


def secret_de(abonnement: Abonnement, keys: KeyProvider) -> str:
    context = _context(abonnement.id)
    dek = keys.unwrap(abonnement.cle_chiffree, context=context)
    return decrypt_text(dek, abonnement.secret_chiffre, context=context)


async def lister(session: AsyncSession, *, office_id: str, apres: int, limite: int) -> list[Abonnement]:
    return list(await repository.page_de_l_office(session, office_id=office_id, apres=apres, limite=limite))


async def lire(session: AsyncSession, *, office_id: str, abonnement_id: str) -> Abonnement:
    abonnement = await repository.de_l_office(session, office_id=office_id, abonnement_id=abonnement_id)
    if abonnement is None:
        raise Introuvable("Abonnement introuvable.")
    return abonnement


async def supprimer(session: AsyncSession, *, office_id: str, abonnement_id: str, now: datetime) -> None:
    abonnement = await lire(session, office_id=office_id, abonnement_id=abonnement_id)
    abonnement.statut = "supprime"
    abonnement.desactive_le = now


async def actifs_pour(session: AsyncSession, *, office_id: str, type_: str) -> list[Abonnement]:
    return [a for a in await repository.actifs_de_l_office(session, office_id=office_id) if type_ in a.types]
