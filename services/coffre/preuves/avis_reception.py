"""The avis électronique de réception (CPC 748-3): a timestamped payload sealed as a compact JWS.

When the destinataire first downloads the acte (the prise de connaissance, CPC 662-1 and 663), the
coffre issues this avis to the office. It replaces the visa, cachet and signature of a paper
signification (748-3 al. 2), so it states date *and hour* and can be checked offline, years later,
with nothing but the platform's JWKS and the TSA's root.

Payload (a JSON object, `version` 1; every instant RFC 3339, `*_le` in UTC with `Z`, `*_le_local`
with the offset of the destinataire's legal zone `fuseau`, read from `shared.legal_time`):

    {"type": "avis_reception", "version": 1,
     "acte_id", "sha256" (of the acte, lowercase hex), "declaration_id" (the destinataire's consent),
     "envoye_le", "envoye_le_local", "pris_connaissance_le", "pris_connaissance_le_local", "fuseau",
     "repertoire": {"index": <leaf of the prise de connaissance>, "checkpoint": <C2SP signed note>},
     "horodatage": {"jeton": base64 DER TimeStampResp, "empreinte": hex, "date", "tsa"}}

What is timestamped, exactly: the RFC 3161 messageImprint is SHA-256 over the *canonical JSON* of
the payload without its `horodatage` member. Canonical JSON here is `json.dumps(sort_keys=True,
separators=(",", ":"), ensure_ascii=False)` encoded in UTF-8: keys sorted, no whitespace, non-ASCII
characters written as themselves. The payload holds only ASCII keys, strings and integers, for
which this is exactly RFC 8785 (JCS). `horodatage.empreinte` repeats that digest in hex for the
reader; a verifier recomputes it and never trusts the copy. `date` (the token's genTime) and `tsa`
(its name) are read from the token, for display.

The JWS (`shared.crypto.jws`): header `{"alg": "EdDSA", "kid", "typ": "avis-reception+jws"}`, the
payload above as compact sorted JSON. The `typ` keeps an avis from being accepted as any other
document the same seal key signs.

`verifier_avis_reception` does the checks in order: 1. the JWS by `kid` in the JWKS (opaque
failure); 2. `typ`, `type` and `version`; 3. the digest recomputed from the payload equals
`empreinte`; 4. the token verifies for that digest under the TSA trust roots
(`shared.timestamps.verify`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509

from shared import legal_time
from shared.crypto.jws import JwsSigner, verify
from shared.instants import Fuseau
from shared.timestamps.client import TimestampClient
from shared.timestamps.verify import (
    TimestampVerificationError,
    VerifiedTimestamp,
    verify_timestamp,
)

TYP = "avis-reception+jws"
TYPE = "avis_reception"
VERSION = 1
HORODATAGE = "horodatage"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class AvisReceptionInvalide(Exception):
    """The avis is not a valid avis de réception of this platform (says which check failed)."""


@dataclass(frozen=True, slots=True)
class PriseDeConnaissance:
    """The facts an avis de réception attests, as the coffre recorded them."""

    acte_id: str
    sha256: str  # of the acte's bytes, lowercase hex
    declaration_id: str  # the destinataire's consent declaration
    envoye_le: datetime  # date and hour of the signification (CPC 664-1)
    pris_connaissance_le: datetime  # first authenticated download
    fuseau: str  # IANA legal zone of the destinataire's domicile
    repertoire_index: int  # répertoire leaf recording the prise de connaissance
    repertoire_checkpoint: str  # signed checkpoint (C2SP note) of a tree containing that leaf

    def __post_init__(self) -> None:
        if not _SHA256_HEX.fullmatch(self.sha256):
            raise ValueError("sha256 must be 64 lowercase hexadecimal digits")
        for instant in (self.envoye_le, self.pris_connaissance_le):
            if instant.utcoffset() is None:
                raise ValueError("naive datetime: every instant must carry its offset")
        if self.pris_connaissance_le < self.envoye_le:
            raise ValueError("pris_connaissance_le precedes envoye_le")
        if self.repertoire_index < 0:
            raise ValueError("repertoire_index must be >= 0")
        Fuseau(self.fuseau)


@dataclass(frozen=True, slots=True)
class AvisReception:
    """An issued avis: the compact JWS (what is stored and sent) and its payload."""

    jws: str
    contenu: dict[str, Any]
    kid: str

    @property
    def sha256_jws(self) -> str:
        """SHA-256 (hex) of the compact JWS as ASCII text: printed on the PDF to bind it to the JWS."""
        return hashlib.sha256(self.jws.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class AvisVerifie:
    contenu: dict[str, Any]
    kid: str
    horodatage: VerifiedTimestamp


def json_canonique(valeur: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (RFC 8785 for ASCII keys, strings and integers)."""
    return json.dumps(
        valeur, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def contenu_sans_horodatage(faits: PriseDeConnaissance) -> dict[str, Any]:
    """The payload before its timestamp: exactly what `empreinte_horodatee` hashes."""
    zone = Fuseau(faits.fuseau)
    return {
        "type": TYPE,
        "version": VERSION,
        "acte_id": faits.acte_id,
        "sha256": faits.sha256,
        "declaration_id": faits.declaration_id,
        "envoye_le": legal_time.rfc3339_utc(faits.envoye_le),
        "envoye_le_local": legal_time.rfc3339_local(faits.envoye_le, zone),
        "pris_connaissance_le": legal_time.rfc3339_utc(faits.pris_connaissance_le),
        "pris_connaissance_le_local": legal_time.rfc3339_local(faits.pris_connaissance_le, zone),
        "fuseau": faits.fuseau,
        "repertoire": {"index": faits.repertoire_index, "checkpoint": faits.repertoire_checkpoint},
    }


def empreinte_horodatee(contenu: Mapping[str, Any]) -> bytes:
    """SHA-256 of the canonical JSON of `contenu` without its `horodatage` member."""
    sans = {cle: valeur for cle, valeur in contenu.items() if cle != HORODATAGE}
    return hashlib.sha256(json_canonique(sans)).digest()


async def emettre_avis_reception(
    faits: PriseDeConnaissance, *, sceau: JwsSigner, horodatage: TimestampClient
) -> AvisReception:
    """Timestamp the payload, then seal it as a JWS. Raises `TimestampError` when no TSA answers."""
    contenu = contenu_sans_horodatage(faits)
    empreinte = empreinte_horodatee(contenu)
    jeton = await horodatage.timestamp(empreinte)
    contenu[HORODATAGE] = {
        "jeton": base64.b64encode(jeton.response).decode("ascii"),
        "empreinte": empreinte.hex(),
        "date": legal_time.rfc3339_utc(jeton.gen_time),
        "tsa": jeton.tsa_name,
    }
    return AvisReception(jws=sceau.sign(contenu, typ=TYP), contenu=contenu, kid=sceau.kid)


def verifier_avis_reception(
    jws: str, jwks: Mapping[str, Any], *, tsa_trust_roots: Sequence[x509.Certificate]
) -> AvisVerifie:
    """Check an avis offline (see the module docstring for the steps).

    Raises `shared.crypto.jws.InvalidJwsError` (opaque) when the seal does not verify, and
    `AvisReceptionInvalide` naming the failed check otherwise.
    """
    # 1. The seal.
    verifie = verify(jws, jwks)
    contenu = verifie.json()
    # 2. The document type.
    if verifie.header.get("typ") != TYP:
        raise AvisReceptionInvalide(f"en-tête typ attendu « {TYP} », trouvé « {verifie.header.get('typ')} »")
    if contenu.get("type") != TYPE or contenu.get("version") != VERSION:
        raise AvisReceptionInvalide(f"contenu attendu {TYPE} version {VERSION}")
    horodatage = contenu.get(HORODATAGE)
    if not isinstance(horodatage, dict):
        raise AvisReceptionInvalide("l'avis ne porte pas d'horodatage")
    # 3. The digest, recomputed.
    empreinte = empreinte_horodatee(contenu)
    if horodatage.get("empreinte") != empreinte.hex():
        raise AvisReceptionInvalide("l'empreinte indiquée n'est pas celle du contenu de l'avis")
    # 4. The timestamp over that digest.
    try:
        reponse = base64.b64decode(str(horodatage.get("jeton", "")), validate=True)
        verifie_ts = verify_timestamp(reponse, empreinte, trust_roots=tsa_trust_roots)
    except (binascii.Error, TimestampVerificationError) as exc:
        raise AvisReceptionInvalide(f"horodatage invalide : {exc}") from exc
    return AvisVerifie(contenu=contenu, kid=verifie.kid, horodatage=verifie_ts)
