"""Per-declaration envelopes: one data key per declaration, wrapped by the master key.

Contexts (associated data) bind each envelope to its row: `consent/declarations/<id>` for the key,
`consent/declarations/<id>/versions/<n>`, `.../pieces/<piece id>`, `.../motif`, `.../idempotence`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.declarations import repository
from services.consent.models import CleDeclaration
from shared.crypto.aead import DataKey, KeyProvider, decrypt, encrypt
from shared.errors import Introuvable


def contexte(declaration_id: str, *parts: str) -> str:
    return "/".join(("consent/declarations", declaration_id, *parts))


def nouvelle_cle(session: AsyncSession, keys: KeyProvider, declaration_id: str) -> DataKey:
    """A fresh data key for a new declaration; its wrapped form is added to the session."""
    dek, wrapped = keys.new_data_key(context=contexte(declaration_id))
    session.add(CleDeclaration(declaration_id=declaration_id, cle_enveloppee=wrapped))
    return dek


async def cle_de(session: AsyncSession, keys: KeyProvider, declaration_id: str) -> DataKey:
    cle = await repository.cle_enveloppee(session, declaration_id)
    if cle is None:
        raise Introuvable("Déclaration introuvable.")
    return ouvrir_cle(keys, declaration_id, cle)


def ouvrir_cle(keys: KeyProvider, declaration_id: str, cle_enveloppee: bytes) -> DataKey:
    """A declaration's data key, unwrapped from its row (read with others: `repository.dossiers`)."""
    return keys.unwrap(cle_enveloppee, context=contexte(declaration_id))


def chiffrer_json(dek: DataKey, valeur: Any, *, context: str) -> bytes:
    texte = json.dumps(valeur, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return encrypt(dek, texte.encode("utf-8"), context=context)


def dechiffrer_json(dek: DataKey, enveloppe: bytes, *, context: str) -> Any:
    return json.loads(decrypt(dek, enveloppe, context=context))
