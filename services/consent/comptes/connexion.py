"""Destinataire sign-in (password, then a one-time code to the declared e-mail) and password reset.

Threat model: an online attacker guessing passwords or codes, or probing which e-mails have accounts.
- The first step answers the same `{"defi_id"}` whether the account exists and whether the password is
  right; the password is always checked against an argon2id hash (a dummy one for unknown accounts),
  so timing is alike. A code is sent only when the password is right.
- Each wrong password counts; at `connexion_max_echecs` the account is locked for
  `verrouillage_minutes` (429 `compte-verrouille`) and the lock is a log leaf.
- A challenge accepts `code_max_attempts` tries within `code_ttl_seconds`, once.
- Failures are *returned* (not raised) by these functions so the request still commits the counters.

Destinataire token (for the coffre): JWT EdDSA signed with consent's destinataire key (JWKS at
`/consent/v1/.well-known/jwks.json`), `iss` "signif-consent", `aud` "coffre", `role` "destinataire",
`sub` the stable pseudonymous person id, `declarations` every declaration id of that person, 15 minutes.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

import jwt
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.declarations.service import hasher
from services.consent.errors import AuthentificationDestinataire, CompteVerrouille
from services.consent.journal.service import consigner
from services.consent.models import Compte, Declaration, Defi
from services.consent.registre import Registre
from shared.crypto.tokens import hash_code, new_code, verify_code
from shared.errors import ServiceError

ISSUER = "signif-consent"
_DUMMY_HASH = hasher.hash("mot de passe factice pour un compte inconnu")


def mot_de_passe_valide(hash_: str, mot_de_passe: str) -> bool:
    try:
        return hasher.verify(hash_, mot_de_passe)
    except (VerificationError, InvalidHashError):
        return False


async def compte_par_email(session: AsyncSession, registre: Registre, email: str) -> Compte | None:
    index = registre.indexeur.email(email)
    return (await session.execute(select(Compte).where(Compte.email_index == index))).scalar_one_or_none()


async def nouveau_defi(
    session: AsyncSession, registre: Registre, compte: Compte | None, objet: str, *, now: datetime
) -> tuple[Defi, str]:
    defi_id = str(uuid.uuid4())
    code = new_code()
    defi = Defi(
        id=defi_id,
        compte_id=compte.id if compte else None,
        objet=objet,
        code_hash=hash_code(
            code, pepper=registre.settings.effective_code_pepper, context=f"{objet}/{defi_id}"
        ),
        expire_le=now + timedelta(seconds=registre.settings.code_ttl_seconds),
        tentatives=0,
        utilise=False,
        cree_le=now,
    )
    session.add(defi)
    return defi, code


async def commencer(
    session: AsyncSession, registre: Registre, email: str, mot_de_passe: str, *, now: datetime
) -> str | ServiceError:
    """First step: returns the challenge id (code sent only if the password is right) or an error."""
    settings = registre.settings
    compte = await compte_par_email(session, registre, email)
    if compte is not None and compte.verrouille_jusqu_au is not None and compte.verrouille_jusqu_au > now:
        return CompteVerrouille("Compte verrouillé ; réessayez plus tard ou réinitialisez le mot de passe.")
    valide = mot_de_passe_valide(compte.mot_de_passe_hash if compte else _DUMMY_HASH, mot_de_passe)
    if compte is not None and not valide:
        compte.echecs += 1
        if compte.echecs >= settings.connexion_max_echecs:
            compte.verrouille_jusqu_au = now + timedelta(minutes=settings.verrouillage_minutes)
            compte.echecs = 0
            await consigner(
                session,
                registre,
                "compte.verrouille",
                now=now,
                compte_id=compte.id,
                jusqu_au=compte.verrouille_jusqu_au.isoformat(),
            )
            return CompteVerrouille("Trop de tentatives : compte verrouillé.")
    defi, code = await nouveau_defi(session, registre, compte if valide else None, "connexion", now=now)
    if compte is not None and valide:
        compte.echecs = 0
        await registre.envoyer_code(email, code, "connexion")
    return defi.id


async def verifier_defi(
    session: AsyncSession, registre: Registre, defi_id: str, code: str, objet: str, *, now: datetime
) -> Compte | ServiceError:
    """Check a challenge's code; on success the challenge is spent and the account returned."""
    defi = await session.get(Defi, defi_id, with_for_update=True)
    echec = AuthentificationDestinataire("Code invalide ou expiré.")
    if defi is None or defi.objet != objet or defi.utilise:
        return echec
    if now >= defi.expire_le or defi.tentatives >= registre.settings.code_max_attempts:
        return echec
    defi.tentatives += 1
    ok = verify_code(
        code, defi.code_hash, pepper=registre.settings.effective_code_pepper, context=f"{objet}/{defi.id}"
    )
    if not ok or defi.compte_id is None:
        return echec
    compte = await session.get(Compte, defi.compte_id)
    if compte is None:
        return echec
    defi.utilise = True
    return compte


async def jeton_destinataire(
    session: AsyncSession, registre: Registre, compte: Compte, *, audience: str = "coffre"
) -> str:
    """A short-lived EdDSA token of the destinataire: for the coffre's retrieval pages (`coffre`) or
    for the declarant's own API on consent (`consent`, the "destinataire session" of API.md)."""
    ids = (
        (
            await session.execute(
                select(Declaration.id)
                .where(Declaration.personne_id == compte.personne_id)
                .order_by(Declaration.declaree_le)
            )
        )
        .scalars()
        .all()
    )
    maintenant = int(time.time())  # token lifetimes use the wall clock (transport security)
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "role": "destinataire",
        "sub": compte.personne_id,
        "declarations": list(ids),
        "iat": maintenant,
        "exp": maintenant + registre.settings.destinataire_token_ttl,
        "jti": uuid.uuid4().hex,
    }
    signer = registre.destinataire
    return jwt.encode(claims, signer.private_key, algorithm="EdDSA", headers={"kid": signer.kid})


def personne_de_session(registre: Registre, jeton: str) -> str | None:
    """The `personne_id` of a valid destinataire session token for consent, or None."""
    try:
        claims = jwt.decode(
            jeton,
            registre.destinataire.private_key.public_key(),
            algorithms=["EdDSA"],
            audience="consent",
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("role") != "destinataire" or not isinstance(claims.get("sub"), str):
        return None
    return str(claims["sub"])
