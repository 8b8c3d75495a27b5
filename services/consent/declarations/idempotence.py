"""`Idempotency-Key` for `POST /declarations`: same key and body → the first answer; other body → 409.

The key and the body are kept only as hashes; the management token of the first answer only as an
envelope under the declaration's data key (shredded with it).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.declarations import repository
from services.consent.declarations.schemas import DeclarationCreee
from services.consent.models import Idempotence
from services.consent.registre import Registre
from shared.crypto.aead import decrypt, encrypt
from shared.errors import IdempotenceConflit


def _cle(valeur: str) -> str:
    return hashlib.sha256(valeur.encode("utf-8")).hexdigest()


async def rejouer(
    session: AsyncSession, registre: Registre, cle: str, empreinte: str
) -> DeclarationCreee | None:
    vue = await repository.idempotence(session, _cle(cle))
    if vue is None:
        return None
    if vue.empreinte != empreinte:
        raise IdempotenceConflit()
    declaration = await repository.trouver(session, vue.declaration_id)
    if declaration is None:  # pragma: no cover - cascade removes both
        return None
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    jeton = decrypt(
        dek, vue.jeton_chiffre, context=chiffrement.contexte(declaration.id, "idempotence")
    ).decode()
    return DeclarationCreee(
        id=declaration.id, numero=declaration.numero, statut="en_attente_confirmation", jeton_gestion=jeton
    )


async def retenir(
    session: AsyncSession,
    registre: Registre,
    cle: str,
    empreinte: str,
    declaration_id: str,
    jeton: str,
    *,
    now: datetime,
) -> None:
    dek = await chiffrement.cle_de(session, registre.keys, declaration_id)
    session.add(
        Idempotence(
            cle=_cle(cle),
            empreinte=empreinte,
            declaration_id=declaration_id,
            jeton_chiffre=encrypt(
                dek, jeton.encode(), context=chiffrement.contexte(declaration_id, "idempotence")
            ),
            cree_le=now,
        )
    )
