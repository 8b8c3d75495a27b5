"""Changing the contact details: the old version stays readable (R8); a new e-mail address counts
only once proven by the code sent to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.comptes.service import suivre_email
from services.consent.declarations import codes
from services.consent.declarations import repository as repo
from services.consent.declarations.schemas import ContactChange
from services.consent.declarations.service import evenement, nouvelle_version
from services.consent.errors import EtatIncompatible
from services.consent.models import Declaration, Version
from services.consent.registre import Registre
from shared.crypto.aead import DataKey


@dataclass(frozen=True)
class ContactEnAttente:
    """A new e-mail address waits for the code sent to it; nothing has changed yet."""

    email: str
    code_expire_le: datetime


async def changer_contact(
    session: AsyncSession,
    registre: Registre,
    declaration: Declaration,
    corps: ContactChange,
    *,
    now: datetime,
) -> Version | ContactEnAttente:
    """Change the contact details; the old version stays readable (R8).

    The e-mail address is where avis de mise à disposition go, so a new address only counts once
    proven: a code goes to it and the change waits (`ContactEnAttente`) until `confirmer_contact`;
    until then the declared address keeps receiving everything. A change of the mobile number alone
    makes the new version at once.
    """
    if declaration.statut in ("revoquee", "rejetee"):
        raise EtatIncompatible("Cette déclaration n'est plus modifiable.")
    courante = await repo.version_courante(session, declaration)
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    ancien = chiffrement.dechiffrer_json(
        dek, courante.donnees, context=chiffrement.contexte(declaration.id, "versions", str(courante.numero))
    )
    nouveau = corps.contact.model_dump(mode="json")
    if str(nouveau["email"]).casefold() == str(ancien["contact"]["email"]).casefold():
        return await _nouvelle_version_contact(
            session, registre, declaration, courante, dek, ancien, nouveau, now
        )
    if declaration.confirmee_le is None:
        raise EtatIncompatible("Confirmez d'abord votre adresse actuelle avec le code reçu.")
    declaration.contact_attente = chiffrement.chiffrer_json(
        dek, nouveau, context=chiffrement.contexte(declaration.id, "contact_attente")
    )
    code, expire_le = codes.nouveau_code(declaration, registre, "contact", now=now)
    await evenement(
        session, registre, declaration.id, "declaration.contact_demande", now=now, acteur="declarant"
    )
    await registre.envoyer_code(str(nouveau["email"]), code, "confirmation")
    return ContactEnAttente(str(nouveau["email"]), expire_le)


async def confirmer_contact(
    session: AsyncSession, registre: Registre, declaration: Declaration, code: str, *, now: datetime
) -> Version:
    """Apply the waiting contact change once the code sent to the new address is given back.

    A wrong code raises `CodeInvalide`, its attempt counted all the same.
    """
    if declaration.contact_attente is None or declaration.code_hash is None:
        raise EtatIncompatible("Aucun changement d'adresse électronique n'est en attente.")
    expire = "Code expiré ou trop de tentatives : demandez à nouveau le changement."
    codes.verifier_code(declaration, registre, code, "contact", now=now, expire=expire)
    courante = await repo.version_courante(session, declaration)
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    ancien = chiffrement.dechiffrer_json(
        dek, courante.donnees, context=chiffrement.contexte(declaration.id, "versions", str(courante.numero))
    )
    nouveau = chiffrement.dechiffrer_json(
        dek, declaration.contact_attente, context=chiffrement.contexte(declaration.id, "contact_attente")
    )
    declaration.contact_attente = None
    return await _nouvelle_version_contact(
        session, registre, declaration, courante, dek, ancien, nouveau, now
    )


async def _nouvelle_version_contact(
    session: AsyncSession,
    registre: Registre,
    declaration: Declaration,
    courante: Version,
    dek: DataKey,
    ancien: dict[str, Any],
    contact: dict[str, Any],
    now: datetime,
) -> Version:
    version = nouvelle_version(
        dek=dek,
        declaration_id=declaration.id,
        numero=await repo.prochain_numero(session, declaration.id),
        personne=ancien["personne"],
        contact=contact,
        natures=courante.natures,
        debut=courante.debut,
        fin=courante.fin,
        now=now,
    )
    session.add(version)
    declaration.version_courante = version.numero
    declaration.email_index = registre.indexeur.email(str(contact["email"]))
    await suivre_email(session, declaration)
    await evenement(
        session,
        registre,
        declaration.id,
        "declaration.version",
        now=now,
        acteur="declarant",
        version=version.numero,
        engagement=version.engagement,
    )
    return version
