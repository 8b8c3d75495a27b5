"""The declarant's rules: declare, confirm the e-mail, revoke, ask for a new code (submission:
`soumission.py`; contact changes: `contact.py`; the codes themselves: `codes.py`).

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
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.comptes import sessions
from services.consent.comptes.service import ouvrir_compte
from services.consent.declarations import avis, codes
from services.consent.declarations import repository as repo
from services.consent.declarations.schemas import DeclarationCreate, PersonnePhysique
from services.consent.errors import (
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
from shared.crypto.tokens import hash_token, new_token, verify_token
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
    code, _ = codes.nouveau_code(declaration, registre, "confirmation", now=now)
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
    codes.verifier_code(
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
    renvois = await repo.nombre_evenements(session, declaration.id, "declaration.code_renvoye")
    if renvois >= RENVOIS_MAX or now < envoye_le + RENVOI_INTERVALLE:
        raise TropDeRequetes("Patientez une minute avant de demander un nouveau code (5 demandes au plus).")
    version = await repo.version_courante(session, declaration)
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    contact = chiffrement.dechiffrer_json(
        dek, version.donnees, context=chiffrement.contexte(declaration.id, "versions", str(version.numero))
    )["contact"]
    code, expire_le = codes.nouveau_code(declaration, registre, "confirmation", now=now)
    await evenement(
        session, registre, declaration.id, "declaration.code_renvoye", now=now, acteur="declarant"
    )
    await registre.envoyer_code(str(contact["email"]), code, "confirmation")
    return expire_le
