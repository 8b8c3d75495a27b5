"""Limits that hold against an attacker of a destinataire account, all on the service's clock.

1. **One failure budget per account, across every challenge.** A wrong password and a wrong code of
   any challenge (sign-in from the personal space, the API or a coffre retrieval page; password reset)
   all count in `Compte.echecs`. At `connexion_max_echecs` the account locks; the k-th lock since the
   owner last proved herself lasts `verrouillage_minutes` × 2^(k−1), at most `verrouillage_max_minutes`.
   While locked no code is sent and none is checked. Each lock is a log leaf, a warning in the service
   log (no personal data) and an e-mail to the owner's declared address.
2. **Challenges per e-mail address** (`defis_par_heure`, `defis_par_jour`), counted on the address's
   blind index whether or not it has an account: a 429 says nothing about who exists, and the owner's
   inbox gets at most a few codes an hour.
3. **Challenges per client address** (`defis_par_client` an hour, in process: `shared.pages.Limiteur`)
   on the public routes; the coffre applies its own per client and per session on its pages.

The resulting model (8-digit codes, defaults) is written down in the README's security section.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.comptes import repository as comptes
from services.consent.declarations import repository
from services.consent.declarations.vue import contenu_version
from services.consent.journal.service import consigner
from services.consent.models import Compte
from services.consent.registre import Registre
from shared.errors import ServiceIndisponible, TropDeRequetes

logger = logging.getLogger("signif.consent.comptes")
_EXPOSANT_MAX = 16


@dataclass(frozen=True)
class Envoi:
    """The code's e-mail, to send once the answer is gone (`BackgroundTasks`): the answer then takes
    the same time whether a code goes out or not, so its latency tells neither that the password was
    right nor that an address has an account. The code stays in memory only (never in a `repr`); a
    failure is logged (the person asks again)."""

    registre: Registre = field(repr=False)
    email: str = field(repr=False)
    code: str = field(repr=False)
    objet: str

    async def __call__(self) -> None:
        try:
            await self.registre.envoyer_code(self.email, self.code, self.objet)
        except ServiceIndisponible:
            logger.warning("one-time code not sent", extra={"objet": self.objet})


def envoi_differe(registre: Registre, email: str, code: str, objet: str) -> Envoi:
    """The code's e-mail to send after the answer (`Envoi`)."""
    return Envoi(registre, email, code, objet)


def verrouille(compte: Compte | None, now: datetime) -> bool:
    return compte is not None and compte.verrouille_jusqu_au is not None and compte.verrouille_jusqu_au > now


def duree_verrouillage(registre: Registre, rang: int) -> timedelta:
    """The `rang`-th lock's length (1 = the first since the owner last succeeded)."""
    settings = registre.settings
    minutes = settings.verrouillage_minutes * 2 ** min(max(rang - 1, 0), _EXPOSANT_MAX)
    return timedelta(minutes=min(minutes, settings.verrouillage_max_minutes))


async def defis_permis(session: AsyncSession, registre: Registre, email_index: str, *, now: datetime) -> None:
    """Raise 429 `trop-de-requetes` when the address had its challenges for the hour or the day."""
    settings = registre.settings
    heure, jour = await comptes.defis_recents(session, email_index, now=now)
    if heure >= settings.defis_par_heure or jour >= settings.defis_par_jour:
        raise TropDeRequetes("Trop de demandes de code pour cette adresse ; réessayez plus tard.")


async def echec(session: AsyncSession, registre: Registre, compte: Compte, *, now: datetime) -> bool:
    """Count one failure; True when it locked the account."""
    if verrouille(compte, now):
        return True
    compte.echecs += 1
    if compte.echecs < registre.settings.connexion_max_echecs:
        return False
    compte.echecs = 0
    compte.verrouillages += 1
    jusqu_au = now + duree_verrouillage(registre, compte.verrouillages)
    compte.verrouille_jusqu_au = jusqu_au
    await consigner(
        session,
        registre,
        "compte.verrouille",
        now=now,
        compte_id=compte.id,
        jusqu_au=jusqu_au.isoformat(),
        rang=compte.verrouillages,
    )
    minutes = int((jusqu_au - now).total_seconds() // 60)
    logger.warning("account locked", extra={"rang": compte.verrouillages, "minutes": minutes})
    await _prevenir(session, registre, compte, jusqu_au)
    return True


def reussite(compte: Compte) -> None:
    """The owner proved herself (a right code): the failure budget and the back-off start afresh."""
    compte.echecs = 0
    compte.verrouillages = 0
    compte.verrouille_jusqu_au = None


async def adresse_du_compte(session: AsyncSession, registre: Registre, compte: Compte) -> str | None:
    """The declared e-mail address of the account's person (her latest declaration's current version)."""
    trouve = await adresse_et_fuseau_du_compte(session, registre, compte)
    return trouve[0] if trouve else None


async def adresse_et_fuseau_du_compte(
    session: AsyncSession, registre: Registre, compte: Compte
) -> tuple[str, str] | None:
    """Her declared e-mail address and legal time zone (her latest declaration's current version)."""
    declaration = await comptes.derniere_declaration_a_l_adresse(session, compte)
    if declaration is None:
        return None
    version = await repository.version_courante(session, declaration)
    contenu = contenu_version(await chiffrement.cle_de(session, registre.keys, declaration.id), version)
    email = contenu["contact"].get("email")
    return (str(email), version.fuseau) if email else None


async def _prevenir(session: AsyncSession, registre: Registre, compte: Compte, jusqu_au: datetime) -> None:
    """E-mail the owner (best effort: the lock holds whether or not the message leaves)."""
    trouve = await adresse_et_fuseau_du_compte(session, registre, compte)
    if trouve is None:
        return
    email, fuseau = trouve
    try:
        await registre.prevenir_verrouillage(email, jusqu_au, fuseau)
    except ServiceIndisponible:
        logger.warning("account lock notice not sent", extra={"rang": compte.verrouillages})
