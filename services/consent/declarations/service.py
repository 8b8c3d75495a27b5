"""The declarant's rules: declare, confirm the e-mail, submit, revoke, change contact details.

Each state change appends an `Evenement` and a log leaf in the same transaction. Every failure is
raised; a wrong confirmation code raises `CodeInvalide`, whose transaction still commits the attempt
counter (`commits`, `shared.db.Database.transaction`).
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.comptes import sessions
from services.consent.comptes.service import ouvrir_compte, suivre_email
from services.consent.declarations import avis
from services.consent.declarations import repository as repo
from services.consent.declarations.schemas import ContactChange, DeclarationCreate, PersonnePhysique
from services.consent.errors import (
    CodeInvalide,
    DejaRevoquee,
    EtatIncompatible,
    JetonGestionInvalide,
    MentionsPerimees,
)
from services.consent.identite import forme_morale, forme_physique, territoire_legal
from services.consent.journal.service import consigner, engagement
from services.consent.mentions import textes
from services.consent.models import Declaration, Evenement, Version
from services.consent.registre import Registre
from shared.crypto.aead import DataKey
from shared.crypto.tokens import hash_code, hash_token, new_code, new_token, verify_code, verify_token
from shared.errors import TropDeRequetes, Unprocessable
from shared.legal_time import date_destruction

hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile

#: A declaration not submitted within this many days is abandoned: the daily purge destroys it (no
#: consent was ever given, so nothing justifies keeping the person's data). Submission lifts it.
JOURS_ABANDON = 30


@dataclass(frozen=True)
class Proprietaire:
    """What a request shows to act on a declaration: its management token, a destinataire session
    (the `personne_id` of a live session, `comptes.sessions`), or a page session opened with the
    declaration's management token (`gestion`: that declaration's id)."""

    jeton: str | None = None
    personne_id: str | None = None
    gestion: str | None = None


def refus_proprietaire() -> JetonGestionInvalide:
    """The one refusal for a wrong token, a foreign session and an unknown declaration alike."""
    return JetonGestionInvalide("Jeton de gestion (ou session) absent ou invalide.")


def autoriser(declaration: Declaration, preuve: Proprietaire | str | None) -> None:
    if not isinstance(preuve, Proprietaire):
        preuve = Proprietaire(jeton=preuve)
    if preuve.personne_id is not None and hmac.compare_digest(preuve.personne_id, declaration.personne_id):
        return
    if preuve.gestion is not None and hmac.compare_digest(preuve.gestion, declaration.id):
        return
    if not preuve.jeton or not verify_token(preuve.jeton, declaration.jeton_hash):
        raise refus_proprietaire()


def _nouveau_code(
    declaration: Declaration, registre: Registre, objet: str, *, now: datetime
) -> tuple[str, datetime]:
    """A fresh one-time code for `objet` ("confirmation" of the address, "contact" change): stored
    hashed with the pepper and bound to this declaration; the previous one dies, attempts restart.
    Returns the code (to send) and its expiry."""
    settings = registre.settings
    code = new_code()
    declaration.code_hash = hash_code(
        code, pepper=settings.effective_code_pepper, context=f"{objet}/{declaration.id}"
    )
    expire_le = now + timedelta(seconds=settings.code_ttl_seconds)
    declaration.code_expire_le = expire_le
    declaration.code_tentatives = 0
    return code, expire_le


def _verifier_code(
    declaration: Declaration, registre: Registre, code: str, objet: str, *, now: datetime, expire: str
) -> None:
    """Spend `code` if it is the live code for `objet`; else `CodeInvalide`, a wrong code counting an
    attempt (committed all the same: `CodeInvalide.commits`)."""
    settings = registre.settings
    perime = declaration.code_expire_le is None or now >= declaration.code_expire_le
    if perime or declaration.code_tentatives >= settings.code_max_attempts or declaration.code_hash is None:
        raise CodeInvalide(expire)
    contexte = f"{objet}/{declaration.id}"
    if not verify_code(code, declaration.code_hash, pepper=settings.effective_code_pepper, context=contexte):
        declaration.code_tentatives += 1
        raise CodeInvalide()
    declaration.code_hash = None


async def evenement(
    session: AsyncSession,
    registre: Registre,
    declaration_id: str,
    type_: str,
    *,
    now: datetime,
    acteur: str,
    **detail: Any,
) -> None:
    """An event row and its log leaf (the row gets the leaf's index once it is integrated)."""
    ligne = Evenement(declaration_id=declaration_id, type=type_, survenu_le=now, acteur=acteur, detail=detail)
    session.add(ligne)
    await consigner(session, registre, type_, now=now, ligne=ligne, declaration_id=declaration_id, **detail)


def _forme(corps: DeclarationCreate) -> str:
    p = corps.personne
    if isinstance(p, PersonnePhysique):
        return forme_physique(p.nom, p.prenoms, p.date_naissance)
    return forme_morale(p.siren)


def nouvelle_version(
    *,
    dek: DataKey,
    declaration_id: str,
    numero: int,
    personne: dict[str, Any],
    contact: dict[str, Any],
    natures: list[str],
    debut: Any,
    fin: Any,
    now: datetime,
) -> Version:
    sel = os.urandom(32)
    enregistrement = {
        "personne": personne,
        "contact": contact,
        "natures": natures,
        "debut": debut.isoformat(),
        "fin": fin.isoformat() if fin else None,
    }
    donnees = {**enregistrement, "sel": base64.b64encode(sel).decode("ascii")}
    return Version(
        declaration_id=declaration_id,
        numero=numero,
        creee_le=now,
        natures=natures,
        debut=debut,
        fin=fin,
        fuseau=territoire_legal(personne).fuseau,
        donnees=chiffrement.chiffrer_json(
            dek, donnees, context=chiffrement.contexte(declaration_id, "versions", str(numero))
        ),
        engagement=engagement(sel, enregistrement),
    )


async def declarer(
    session: AsyncSession, registre: Registre, corps: DeclarationCreate, *, now: datetime
) -> tuple[Declaration, str]:
    """Record a new declaration (R1, R2, R4, R5); returns it and its management token (once)."""
    if corps.mentions.version != textes.VERSION or corps.mentions.sha256 != textes.SHA256:
        raise MentionsPerimees("Rechargez les mentions légales (GET /mentions) et validez à nouveau.")
    personne = corps.personne.model_dump(mode="json")
    fuseau = territoire_legal(personne).fuseau
    debut = corps.debut or repo.jour_local(now, fuseau)
    if corps.fin is not None and corps.fin < debut:
        raise Unprocessable(
            "La date de fin précède la date de début.",
            extra={
                "errors": [{"champ": "body.fin", "message": "fin antérieure au début", "type": "value_error"}]
            },
        )
    declaration_id = str(uuid.uuid4())
    forme = _forme(corps)
    jeton = new_token()
    declaration = Declaration(
        id=declaration_id,
        numero=f"RC-{now.year}-{secrets.token_hex(5).upper()}",
        type_personne=corps.personne.type,
        statut="en_attente_confirmation",
        identite_index=registre.indexeur.identite(forme),
        personne_id=registre.indexeur.personne(forme),
        email_index=registre.indexeur.email(corps.contact.email),
        jeton_hash=hash_token(jeton),
        mentions_version=textes.VERSION,
        mentions_sha256=textes.SHA256,
        declaree_le=now,
        mot_de_passe_attente=hasher.hash(corps.mot_de_passe.get_secret_value()),
        version_courante=1,
        destruction_le=repo.jour_local(now, fuseau) + timedelta(days=JOURS_ABANDON),
    )
    code, _ = _nouveau_code(declaration, registre, "confirmation", now=now)
    session.add(declaration)
    await session.flush()
    dek = chiffrement.nouvelle_cle(session, registre.keys, declaration_id)
    version = nouvelle_version(
        dek=dek,
        declaration_id=declaration_id,
        numero=1,
        personne=personne,
        contact=corps.contact.model_dump(mode="json"),
        natures=corps.natures,
        debut=debut,
        fin=corps.fin,
        now=now,
    )
    session.add(version)
    await evenement(
        session,
        registre,
        declaration_id,
        "declaration.creee",
        now=now,
        acteur="declarant",
        version=1,
        engagement=version.engagement,
        mentions_sha256=textes.SHA256,
    )
    await registre.envoyer_code(str(corps.contact.email), code, "confirmation")
    return declaration, jeton


async def confirmer(
    session: AsyncSession, registre: Registre, declaration: Declaration, code: str, *, now: datetime
) -> None:
    """Check the e-mail code (idempotent once confirmed); a wrong code raises `CodeInvalide`, its
    attempt counted all the same."""
    if declaration.confirmee_le is not None:
        return
    if declaration.statut != "en_attente_confirmation" or declaration.code_hash is None:
        raise EtatIncompatible()
    _verifier_code(
        declaration, registre, code, "confirmation", now=now, expire="Code expiré ou trop de tentatives."
    )
    declaration.confirmee_le = now
    await ouvrir_compte(session, declaration, now=now)
    await evenement(
        session, registre, declaration.id, "declaration.email_confirme", now=now, acteur="declarant"
    )


async def revoquer(
    session: AsyncSession, registre: Registre, declaration: Declaration, *, now: datetime, acteur: str
) -> Declaration:
    """Revoke now (R6): effective for any sending at or after `revoquee_le`; 5-year clock starts."""
    version = await repo.version_courante(session, declaration)
    if declaration.statut == "revoquee":
        raise DejaRevoquee(f"Déclaration déjà révoquée le {declaration.revoquee_le:%Y-%m-%d}.")
    statut = repo.statut_effectif(declaration, version, now)
    if statut not in ("en_attente_confirmation", "en_attente_verification", "active"):
        raise EtatIncompatible(f"Une déclaration au statut « {statut} » ne peut pas être révoquée.")
    declaration.statut = "revoquee"
    declaration.revoquee_le = now
    declaration.destruction_le = date_destruction(repo.jour_local(now, version.fuseau))
    declaration.mot_de_passe_attente = None
    # Whoever holds a session on it (its token's, or its declarant's) signs in again.
    await sessions.terminer_sur(session, declaration, now=now, motif="revocation")
    await avis.planifier(session, declaration, "revoquee", now=now)
    await evenement(
        session,
        registre,
        declaration.id,
        "declaration.revoquee",
        now=now,
        acteur=acteur,
        destruction_le=declaration.destruction_le.isoformat(),
    )
    return declaration


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
    code, expire_le = _nouveau_code(declaration, registre, "contact", now=now)
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
    _verifier_code(declaration, registre, code, "contact", now=now, expire=expire)
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


#: How many new confirmation codes a declarant may ask for, and how long to wait between two.
RENVOIS_MAX = 5
RENVOI_INTERVALLE = timedelta(seconds=60)


async def renvoyer_code(
    session: AsyncSession, registre: Registre, declaration: Declaration, *, now: datetime
) -> datetime:
    """Send a new e-mail confirmation code (the previous one dies, the attempt counter restarts).

    For a declarant whose code expired, was mistyped too often or never arrived. At most `RENVOIS_MAX`
    renewals per declaration, one per `RENVOI_INTERVALLE`; each is an event in the history and a log
    leaf. Returns the instant the new code expires.
    """
    if declaration.confirmee_le is not None or declaration.statut != "en_attente_confirmation":
        raise EtatIncompatible("L'adresse électronique de cette déclaration est déjà confirmée.")
    settings = registre.settings
    envoye_le = (declaration.code_expire_le or now) - timedelta(seconds=settings.code_ttl_seconds)
    renvois = await session.scalar(
        select(func.count())
        .select_from(Evenement)
        .where(Evenement.declaration_id == declaration.id, Evenement.type == "declaration.code_renvoye")
    )
    if (renvois or 0) >= RENVOIS_MAX or now < envoye_le + RENVOI_INTERVALLE:
        raise TropDeRequetes("Patientez une minute avant de demander un nouveau code (5 demandes au plus).")
    version = await repo.version_courante(session, declaration)
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    contact = chiffrement.dechiffrer_json(
        dek, version.donnees, context=chiffrement.contexte(declaration.id, "versions", str(version.numero))
    )["contact"]
    code, expire_le = _nouveau_code(declaration, registre, "confirmation", now=now)
    await evenement(
        session, registre, declaration.id, "declaration.code_renvoye", now=now, acteur="declarant"
    )
    await registre.envoyer_code(str(contact["email"]), code, "confirmation")
    return expire_le
