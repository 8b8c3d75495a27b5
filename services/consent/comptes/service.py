"""Account records tied to declarations (opened when the e-mail is proven, follow contact changes)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.comptes import repository
from services.consent.models import Compte, Declaration
from shared.errors import Conflit


async def ouvrir_compte(session: AsyncSession, declaration: Declaration, *, now: datetime) -> Compte:
    """Open (or update) the person's account once the declared e-mail is proven.

    The password chosen at declaration replaces the account's: proving the e-mail is what authorises it.
    """
    if declaration.mot_de_passe_attente is None:
        raise Conflit("Aucun mot de passe en attente pour cette déclaration.")
    autre = await repository.compte_par_email(session, declaration.email_index)
    if autre is not None and autre.personne_id != declaration.personne_id:
        raise Conflit("Cette adresse électronique est déjà celle d'un autre compte.")
    compte = await repository.compte_de_la_personne(session, declaration.personne_id)
    if compte is None:
        compte = Compte(
            id=str(uuid.uuid4()),
            personne_id=declaration.personne_id,
            email_index=declaration.email_index,
            mot_de_passe_hash=declaration.mot_de_passe_attente,
            echecs=0,
            cree_le=now,
        )
        session.add(compte)
    else:
        compte.email_index = declaration.email_index
        compte.mot_de_passe_hash = declaration.mot_de_passe_attente
        compte.echecs = 0
        compte.verrouille_jusqu_au = None
    declaration.mot_de_passe_attente = None
    return compte


async def suivre_email(session: AsyncSession, declaration: Declaration) -> None:
    """After a contact change, the person's account signs in with the new address."""
    compte = await repository.compte_de_la_personne(session, declaration.personne_id)
    if compte is None or compte.email_index == declaration.email_index:
        return
    autre = await repository.compte_par_email(session, declaration.email_index)
    if autre is not None:
        raise Conflit("Cette adresse électronique est déjà celle d'un autre compte.")
    compte.email_index = declaration.email_index
