"""Password reset: re-prove the e-mail (code) and the date of birth (or SIREN); logged.

The first step answers `{"defi_id"}` in every case (or the same 429 for any address that had its
challenges, `limites.defis_permis`); a code is sent only when an account has that e-mail, is not
locked, and one of the person's declarations carries that date of birth or SIREN (checked by
decrypting that person's own rows, found by the e-mail's blind index). Its wrong codes count against
the account like the sign-in's. A reset ends every session of the person.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.comptes import limites, sessions
from services.consent.comptes import repository as comptes
from services.consent.comptes.connexion import compte_par_email, nouveau_defi, verifier_defi
from services.consent.declarations import repository
from services.consent.declarations.service import hasher
from services.consent.declarations.vue import contenu_version
from services.consent.journal.service import consigner
from services.consent.models import Compte
from services.consent.registre import Registre


async def _preuve_identite(
    session: AsyncSession, registre: Registre, compte: Compte, date_naissance: date | None, siren: str | None
) -> bool:
    declarations = await comptes.declarations_de_la_personne(session, compte.personne_id)
    for declaration in declarations:
        version = await repository.version_courante(session, declaration)
        personne = contenu_version(await chiffrement.cle_de(session, registre.keys, declaration.id), version)[
            "personne"
        ]
        if date_naissance is not None and personne.get("date_naissance") == date_naissance.isoformat():
            return True
        if siren is not None and personne.get("siren") == siren:
            return True
    return False


async def demander(
    session: AsyncSession,
    registre: Registre,
    email: str,
    *,
    date_naissance: date | None,
    siren: str | None,
    now: datetime,
) -> tuple[str, limites.Envoi | None]:
    """The challenge id, alike in every case, and the code's e-mail to send after the answer."""
    index = registre.indexeur.email(email)
    await limites.defis_permis(session, registre, index, now=now)
    compte = await compte_par_email(session, registre, email)
    prouve = (
        compte is not None
        and not limites.verrouille(compte, now)
        and await _preuve_identite(session, registre, compte, date_naissance, siren)
    )
    defi, code = await nouveau_defi(
        session, registre, compte if prouve else None, "reinitialisation", email_index=index, now=now
    )
    return defi.id, limites.envoi_differe(registre, email, code, "reinitialisation") if prouve else None


async def terminer(
    session: AsyncSession, registre: Registre, defi_id: str, code: str, mot_de_passe: str, *, now: datetime
) -> None:
    """The new password, once the challenge's code is right (`verifier_defi`'s failures raised)."""
    compte = await verifier_defi(session, registre, defi_id, code, "reinitialisation", now=now)
    compte.mot_de_passe_hash = hasher.hash(mot_de_passe)
    await sessions.terminer_toutes(session, now=now, motif="reinitialisation", personne_id=compte.personne_id)
    await consigner(session, registre, "compte.reinitialise", now=now, compte_id=compte.id)
