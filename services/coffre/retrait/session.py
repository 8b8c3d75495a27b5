"""The retrieval session cookie: AES-256-GCM sealed state, short-lived, bound to one link.

Format: cookie `signif_retrait` = base64url(12-byte nonce ‖ AES-GCM(key, JSON state, AAD =
"signif/coffre/retrait-session/v1|" + SHA-256 of the link token)). The state is
`{"csrf", "exp" (unix seconds), "defi_id"?, "jeton"? (consent's destinataire JWT), "sub"?,
"declarations"?}`. Binding the AAD to the link means a cookie minted on one link never opens
another link's page. Attributes: `Secure; HttpOnly; SameSite=Strict; Path=/coffre/retrait/`.

Threat model: the cookie carries a bearer JWT, so it is encrypted (not only signed) and lives at
most `SESSION_MINUTES` and never longer than the JWT. Like consent's token lifetimes, session
lifetimes are transport security and use the wall clock (`time.time()`), not the service clock that
dates legal facts (tests move that one across days). The key (32 random bytes) lives in
`keys_dir/coffre-retrait-session.key`, created on first start (an embedded deployment restart keeps
sessions). CSRF: every form carries the state's `csrf` value; a POST whose field differs from the
cookie's is refused (the cookie is SameSite=Strict as well).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.crypto.keys import directory_lock, write_atomic
from shared.crypto.tokens import constant_time_equals

COOKIE = "signif_retrait"
COOKIE_PATH = "/coffre/retrait/"
SESSION_MINUTES = 15
_AAD = b"signif/coffre/retrait-session/v1|"


def charger_cle(keys_dir: Path) -> bytes:
    path = keys_dir / "coffre-retrait-session.key"
    if not path.is_file():
        with directory_lock(keys_dir, ".retrait.lock"):
            if not path.is_file():
                write_atomic(path, os.urandom(32), mode=0o600)
    cle = path.read_bytes()
    if len(cle) != 32:
        raise ValueError(f"{path} must hold 32 bytes")
    return cle


@dataclass
class Etat:
    csrf: str
    exp: int
    defi_id: str | None = None
    jeton: str | None = None
    sub: str | None = None
    declarations: list[str] = field(default_factory=list)

    @property
    def connecte(self) -> bool:
        return self.jeton is not None and self.sub is not None

    def csrf_valide(self, valeur: str | None) -> bool:
        return valeur is not None and constant_time_equals(valeur, self.csrf)


def maintenant() -> int:
    """Wall-clock unix seconds (session lifetimes only)."""
    return int(time.time())


def nouvel_etat(now: int | None = None) -> Etat:
    debut = maintenant() if now is None else now
    return Etat(csrf=secrets.token_urlsafe(32), exp=debut + SESSION_MINUTES * 60)


def _aad(lien_hash: str) -> bytes:
    return _AAD + lien_hash.encode("ascii")


def sceller(cle: bytes, etat: Etat, lien_hash: str) -> str:
    nonce = os.urandom(12)
    donnees: dict[str, Any] = {
        "csrf": etat.csrf,
        "exp": etat.exp,
        "defi_id": etat.defi_id,
        "jeton": etat.jeton,
        "sub": etat.sub,
        "declarations": etat.declarations,
    }
    chiffre = AESGCM(cle).encrypt(nonce, json.dumps(donnees).encode(), _aad(lien_hash))
    return base64.urlsafe_b64encode(nonce + chiffre).decode("ascii").rstrip("=")


def ouvrir(cle: bytes, valeur: str | None, lien_hash: str, now: int | None = None) -> Etat | None:
    """The state, or None when absent, tampered, for another link, or expired."""
    if not valeur or len(valeur) > 8192:
        return None
    try:
        brut = base64.urlsafe_b64decode(valeur + "=" * (-len(valeur) % 4))
        clair = AESGCM(cle).decrypt(brut[:12], brut[12:], _aad(lien_hash))
        donnees = json.loads(clair)
        etat = Etat(
            csrf=str(donnees["csrf"]),
            exp=int(donnees["exp"]),
            defi_id=donnees.get("defi_id"),
            jeton=donnees.get("jeton"),
            sub=donnees.get("sub"),
            declarations=[str(d) for d in donnees.get("declarations") or []],
        )
    except (binascii.Error, InvalidTag, ValueError, KeyError, TypeError):
        return None
    if etat.exp <= (maintenant() if now is None else now):
        return None
    return etat
