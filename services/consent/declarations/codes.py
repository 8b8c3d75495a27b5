"""The declaration's one-time e-mail codes (confirmation of the address, change of address).

A code is stored hashed with the pepper, bound to its purpose and declaration, and dies when a new
one is made; `code_max_attempts` wrong tries or `code_ttl_seconds` end it. A wrong code raises
`CodeInvalide`, whose transaction still commits the attempt counter (`CodeInvalide.commits`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.consent.errors import CodeInvalide
from services.consent.models import Declaration
from services.consent.registre import Registre
from shared.crypto.tokens import hash_code, new_code, verify_code


def nouveau_code(
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


def verifier_code(
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
