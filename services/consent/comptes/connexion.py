"""Destinataire sign-in (password, then a one-time code to the declared e-mail) and password reset.

Threat model: an online attacker guessing passwords or codes, or probing which e-mails have accounts.
- The first step answers the same `{"defi_id"}` whether the account exists, whether the password is
  right and whether the account is locked; the password is always checked against an argon2id hash
  (a dummy one for unknown accounts). A code is sent only when the password is right and the account
  is not locked, and the challenge is tied to the account only then; it is sent after the answer
  (`limites.envoi_differe`), so the answer's latency does not tell either.
- Limits (`limites.py`): one failure budget per account across every challenge, exponential lock;
  challenges per e-mail address and per client address.
- A challenge accepts `code_max_attempts` tries within `code_ttl_seconds`, once; codes have
  `code_compte_chiffres` digits (8 by default).
- `verifier_defi` raises its failures as errors whose transaction still commits the counters
  (`commits`, `shared.db.Database.transaction`).

Destinataire token (for the coffre): JWT EdDSA signed with consent's destinataire key (JWKS at
`/consent/v1/.well-known/jwks.json`), `iss` "signif-consent", `aud` "coffre", `role` "destinataire",
`sub` the stable pseudonymous person id, `declarations` every declaration id of that person, `sid` the
consent session (kind `coffre`, `sessions.py`) the coffre checks before each use, 15 minutes.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

import jwt
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.comptes import limites, repository, sessions
from services.consent.declarations.service import hasher
from services.consent.errors import AuthentificationDestinataire, CompteVerrouille
from services.consent.models import Compte, Defi
from services.consent.registre import Registre
from shared.crypto.tokens import hash_code, new_code, verify_code

ISSUER = "signif-consent"
_DUMMY_HASH = hasher.hash("mot de passe factice pour un compte inconnu")


def mot_de_passe_valide(hash_: str, mot_de_passe: str) -> bool:
    try:
        return hasher.verify(hash_, mot_de_passe)
    except (VerificationError, InvalidHashError):
        return False


async def compte_par_email(session: AsyncSession, registre: Registre, email: str) -> Compte | None:
    return await repository.compte_par_email(session, registre.indexeur.email(email))


async def nouveau_defi(
    session: AsyncSession,
    registre: Registre,
    compte: Compte | None,
    objet: str,
    *,
    email_index: str,
    now: datetime,
) -> tuple[Defi, str]:
    defi_id = str(uuid.uuid4())
    code = new_code(registre.settings.code_compte_chiffres)
    defi = Defi(
        id=defi_id,
        compte_id=compte.id if compte else None,
        objet=objet,
        email_index=email_index,
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
) -> tuple[str, limites.Envoi | None]:
    """First step: the challenge id, alike in every case, and the code's e-mail to send after the
    answer (only if the password is right and the account not locked); 429 `trop-de-requetes` when
    the address had its challenges."""
    index = registre.indexeur.email(email)
    await limites.defis_permis(session, registre, index, now=now)
    compte = await compte_par_email(session, registre, email)
    valide = mot_de_passe_valide(compte.mot_de_passe_hash if compte else _DUMMY_HASH, mot_de_passe)
    ouvert = compte is not None and not limites.verrouille(compte, now)
    if compte is not None and ouvert and not valide:
        await limites.echec(session, registre, compte, now=now)
    lie = compte if ouvert and valide else None
    defi, code = await nouveau_defi(session, registre, lie, "connexion", email_index=index, now=now)
    return defi.id, limites.envoi_differe(registre, email, code, "connexion") if lie is not None else None


async def verifier_defi(
    session: AsyncSession, registre: Registre, defi_id: str, code: str, objet: str, *, now: datetime
) -> Compte:
    """Check a challenge's code; on success the challenge is spent and the account returned. A wrong
    code counts against the account (`limites.echec`); a locked account's codes are not checked.
    Failures raise `AuthentificationDestinataire` or `CompteVerrouille`, the counters committed all
    the same."""
    defi = await repository.defi_verrouille(session, defi_id)
    echec = AuthentificationDestinataire("Code invalide ou expiré.")
    if defi is None or defi.objet != objet or defi.utilise:
        raise echec
    compte = await repository.compte(session, defi.compte_id) if defi.compte_id is not None else None
    if limites.verrouille(compte, now):
        raise CompteVerrouille("Compte verrouillé après trop de tentatives ; réessayez plus tard.")
    if now >= defi.expire_le or defi.tentatives >= registre.settings.code_max_attempts:
        raise echec
    defi.tentatives += 1
    ok = verify_code(
        code, defi.code_hash, pepper=registre.settings.effective_code_pepper, context=f"{objet}/{defi.id}"
    )
    if compte is None:
        raise echec
    if not ok:
        if await limites.echec(session, registre, compte, now=now):
            raise CompteVerrouille("Trop de tentatives : compte verrouillé.")
        raise echec
    defi.utilise = True
    limites.reussite(compte)
    return compte


async def ouvrir_session(
    session: AsyncSession, registre: Registre, compte: Compte, genre: sessions.Genre, *, now: datetime
) -> tuple[str, str]:
    """A new session of the person (`espace` or `api`; `coffre` through `jeton_destinataire`):
    (its id, its secret)."""
    ligne, secret = await sessions.ouvrir(
        session,
        genre=genre,
        now=now,
        duree=timedelta(seconds=registre.settings.session_ttl_seconds),
        personne_id=compte.personne_id,
    )
    return ligne.id, secret


async def declarations_de(session: AsyncSession, personne_id: str) -> list[str]:
    """Every declaration id of the person, oldest first."""
    return await repository.ids_des_declarations(session, personne_id)


async def jeton_destinataire(
    session: AsyncSession, registre: Registre, compte: Compte, *, now: datetime
) -> str:
    """A short-lived EdDSA token of the destinataire for the coffre's retrieval pages, naming the
    consent session (kind `coffre`) the coffre checks before each use."""
    ttl = registre.settings.destinataire_token_ttl
    ligne, _secret = await sessions.ouvrir(
        session, genre="coffre", now=now, duree=timedelta(seconds=ttl), personne_id=compte.personne_id
    )
    ids = await declarations_de(session, compte.personne_id)
    maintenant = int(time.time())  # token lifetimes use the wall clock (transport security)
    claims = {
        "iss": ISSUER,
        "aud": "coffre",
        "role": "destinataire",
        "sub": compte.personne_id,
        "declarations": ids,
        "iat": maintenant,
        "exp": maintenant + ttl,
        "jti": uuid.uuid4().hex,
        "sid": ligne.id,
    }
    signer = registre.destinataire
    return jwt.encode(claims, signer.private_key, algorithm="EdDSA", headers={"kid": signer.kid})
