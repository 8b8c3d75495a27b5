"""The avis de réception JWS: fields, local times, the documented timestamped digest, verification."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.coffre.preuves import (
    TYP,
    AvisReception,
    AvisReceptionInvalide,
    PriseDeConnaissance,
    emettre_avis_reception,
    verifier_avis_reception,
)
from shared.crypto.jws import InvalidJwsError, JwsSigner, b64url_decode, b64url_encode, jwks, verify
from shared.timestamps.verify import TimestampVerificationError, verify_timestamp

from .conftest import CHECKPOINT, ENVOI, PRISE, SHA256_ACTE, Plateforme


def faits(**changements: Any) -> PriseDeConnaissance:
    valeurs: dict[str, Any] = {
        "acte_id": "0b5e4c1e-7d1a-4a53-9b0e-3c1f2a9d8e71",
        "sha256": SHA256_ACTE,
        "declaration_id": "decl-2026-000123",
        "envoye_le": ENVOI,
        "pris_connaissance_le": PRISE,
        "fuseau": "America/Guadeloupe",
        "repertoire_index": 4711,
        "repertoire_checkpoint": CHECKPOINT,
    }
    valeurs.update(changements)
    return PriseDeConnaissance(**valeurs)


async def emettre(plateforme: Plateforme, **changements: Any) -> AvisReception:
    plateforme.horloge.instant = PRISE + timedelta(seconds=1)
    return await emettre_avis_reception(
        faits(**changements), sceau=plateforme.sceau_jws, horodatage=plateforme.horodatage
    )


def publies(plateforme: Plateforme) -> dict[str, Any]:
    return jwks([plateforme.sceau_jws.private_key.public_key()])


async def test_the_jws_verifies_with_the_jwks_and_carries_every_fact(plateforme: Plateforme) -> None:
    avis = await emettre(plateforme)

    verifie = verify(avis.jws, publies(plateforme))
    contenu = verifie.json()
    assert verifie.header == {"alg": "EdDSA", "kid": plateforme.sceau_jws.kid, "typ": TYP}
    assert avis.kid == plateforme.sceau_jws.kid
    assert contenu == avis.contenu
    horodatage = contenu.pop("horodatage")
    assert contenu == {
        "type": "avis_reception",
        "version": 1,
        "acte_id": "0b5e4c1e-7d1a-4a53-9b0e-3c1f2a9d8e71",
        "sha256": SHA256_ACTE,
        "declaration_id": "decl-2026-000123",
        "envoye_le": "2026-03-16T13:30:05Z",
        "envoye_le_local": "2026-03-16T09:30:05-04:00",
        "pris_connaissance_le": "2026-03-16T20:12:44Z",
        "pris_connaissance_le_local": "2026-03-16T16:12:44-04:00",
        "fuseau": "America/Guadeloupe",
        "repertoire": {"index": 4711, "checkpoint": CHECKPOINT},
    }
    assert set(horodatage) == {"jeton", "empreinte", "date", "tsa"}
    assert horodatage["date"] == "2026-03-16T20:12:45Z"
    assert horodatage["tsa"] == "Signif TSA de développement (non qualifiée)"
    assert avis.sha256_jws == hashlib.sha256(avis.jws.encode()).hexdigest()


async def test_the_timestamp_covers_the_documented_digest(plateforme: Plateforme) -> None:
    avis = await emettre(plateforme)
    contenu = verify(avis.jws, publies(plateforme)).json()

    # The digest as the module docstring defines it, recomputed here independently.
    sans_horodatage = {cle: valeur for cle, valeur in contenu.items() if cle != "horodatage"}
    canonique = json.dumps(sans_horodatage, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    empreinte = hashlib.sha256(canonique.encode("utf-8")).digest()
    assert contenu["horodatage"]["empreinte"] == empreinte.hex()

    jeton = base64.b64decode(contenu["horodatage"]["jeton"], validate=True)
    verifie = verify_timestamp(jeton, empreinte, trust_roots=[plateforme.tsa_racine])
    assert verifie.gen_time == PRISE + timedelta(seconds=1)
    with pytest.raises(TimestampVerificationError, match="empreinte"):
        verify_timestamp(
            jeton, hashlib.sha256(canonique.encode() + b" ").digest(), trust_roots=[plateforme.tsa_racine]
        )


async def test_verifier_avis_reception_accepts_a_genuine_avis(plateforme: Plateforme) -> None:
    avis = await emettre(plateforme)

    verifie = verifier_avis_reception(avis.jws, publies(plateforme), tsa_trust_roots=[plateforme.tsa_racine])

    assert verifie.contenu == avis.contenu
    assert verifie.kid == plateforme.sceau_jws.kid
    assert verifie.horodatage.gen_time == datetime(2026, 3, 16, 20, 12, 45, tzinfo=UTC)


def _resigner(signer: JwsSigner, contenu: dict[str, Any]) -> str:
    """A changed payload sealed again with the genuine key: only the content checks can fail."""
    return signer.sign(contenu, typ=TYP)


async def test_verifier_refuses_an_altered_or_foreign_avis(plateforme: Plateforme) -> None:
    avis = await emettre(plateforme)
    cles, racines = publies(plateforme), [plateforme.tsa_racine]
    signer = plateforme.sceau_jws

    # A changed fact, re-sealed with the platform key: the timestamp no longer matches.
    faux = {**avis.contenu, "pris_connaissance_le": "2026-03-16T12:00:00Z"}
    with pytest.raises(AvisReceptionInvalide, match="empreinte"):
        verifier_avis_reception(_resigner(signer, faux), cles, tsa_trust_roots=racines)
    # The claimed digest changed too: the token itself refuses it.
    sans = {k: v for k, v in faux.items() if k != "horodatage"}
    canonique = json.dumps(sans, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    empreinte = hashlib.sha256(canonique.encode()).hexdigest()
    faux["horodatage"] = {**avis.contenu["horodatage"], "empreinte": empreinte}
    with pytest.raises(AvisReceptionInvalide, match="horodatage invalide"):
        verifier_avis_reception(_resigner(signer, faux), cles, tsa_trust_roots=racines)
    # Another JWS type signed by the same key is not an avis.
    autre_type = signer.sign(avis.contenu, typ="recu+jws")
    with pytest.raises(AvisReceptionInvalide, match="typ"):
        verifier_avis_reception(autre_type, cles, tsa_trust_roots=racines)
    # An untrusted TSA root.
    with pytest.raises(AvisReceptionInvalide, match="horodatage invalide"):
        verifier_avis_reception(avis.jws, cles, tsa_trust_roots=[plateforme.pki.ca_certificate()])
    # A flipped signature byte: the opaque JWS error.
    tete, corps, signature = avis.jws.split(".")
    octets = bytearray(b64url_decode(signature))
    octets[0] ^= 1
    with pytest.raises(InvalidJwsError):
        verifier_avis_reception(
            f"{tete}.{corps}.{b64url_encode(bytes(octets))}", cles, tsa_trust_roots=racines
        )


@pytest.mark.parametrize(
    ("fuseau", "envoye_le", "pris_le", "envoye_local", "pris_local"),
    [
        # Guadeloupe, UTC-4 all year: 03:59:59Z is still the evening before, locally.
        (
            "America/Guadeloupe",
            datetime(2026, 3, 17, 3, 59, 59, tzinfo=UTC),
            datetime(2026, 3, 17, 4, 0, 1, tzinfo=UTC),
            "2026-03-16T23:59:59-04:00",
            "2026-03-17T00:00:01-04:00",
        ),
        # Paris in winter (UTC+1): 23:00Z is already midnight the next day.
        (
            "Europe/Paris",
            datetime(2026, 3, 16, 22, 59, 59, tzinfo=UTC),
            datetime(2026, 3, 16, 23, 0, 0, tzinfo=UTC),
            "2026-03-16T23:59:59+01:00",
            "2026-03-17T00:00:00+01:00",
        ),
        # Paris in summer (UTC+2).
        (
            "Europe/Paris",
            datetime(2026, 7, 1, 21, 59, 59, tzinfo=UTC),
            datetime(2026, 7, 1, 22, 0, 0, tzinfo=UTC),
            "2026-07-01T23:59:59+02:00",
            "2026-07-02T00:00:00+02:00",
        ),
    ],
)
async def test_local_times_around_midnight(
    plateforme: Plateforme,
    fuseau: str,
    envoye_le: datetime,
    pris_le: datetime,
    envoye_local: str,
    pris_local: str,
) -> None:
    avis = await emettre(plateforme, fuseau=fuseau, envoye_le=envoye_le, pris_connaissance_le=pris_le)

    contenu = verify(avis.jws, publies(plateforme)).json()
    assert contenu["fuseau"] == fuseau
    assert (contenu["envoye_le_local"], contenu["pris_connaissance_le_local"]) == (envoye_local, pris_local)
    assert datetime.fromisoformat(contenu["envoye_le_local"]) == envoye_le
    assert datetime.fromisoformat(contenu["pris_connaissance_le"]) == pris_le


def test_the_facts_are_checked_when_built() -> None:
    with pytest.raises(ValueError, match="sha256"):
        faits(sha256="ABC")
    with pytest.raises(ValueError, match="naive"):
        faits(envoye_le=ENVOI.replace(tzinfo=None))
    with pytest.raises(ValueError, match="precedes"):
        faits(pris_connaissance_le=ENVOI - timedelta(seconds=1))
    with pytest.raises(ValueError, match="repertoire_index"):
        faits(repertoire_index=-1)
    with pytest.raises(Exception, match="Moon"):
        faits(fuseau="Europe/Moon")
    assert dataclasses.replace(faits(), acte_id="x").acte_id == "x"
