"""The récépissé of a declaration is issued once, at submission: kept as issued, read back byte for
byte, its SHA-256 in the registry's `declaration.soumise` leaf, and carried by the registry bundle,
which `signif verify` ties to that leaf."""

from __future__ import annotations

import hashlib
import json

from shared.crypto.jws import b64url_decode
from shared.evidence import format as fmt
from shared.evidence.archive import read_zip
from shared.evidence.verify import verify_bundle
from tests.services.consent.conftest import Consent, activer
from tests.shared.evidence.helpers import flip, forge

PROCEDURE = {"juridiction": "TJ Paris", "numero": "RG 26/01234"}


async def test_recepisse_emis_une_fois_et_dans_le_lot(consent_db: Consent) -> None:
    env = consent_db
    declaration = await activer(env)
    url = f"/consent/v1/declarations/{declaration.id}/recepisse"
    premiere = await env.client.get(url, headers=declaration.entetes)
    assert premiere.status_code == 200, premiere.text
    await env.horloge("2026-03-04T09:00:00Z")
    seconde = await env.client.get(url, headers=declaration.entetes)
    assert seconde.json() == premiere.json()  # as issued, not sealed again at the request's instant
    jws = premiere.json()["jws"]
    assert premiere.json()["sha256"] == hashlib.sha256(jws.encode()).hexdigest()
    charge = json.loads(b64url_decode(jws.split(".")[1]))
    assert charge["declaration_id"] == declaration.id
    sans_jeton = await env.client.get(url)
    assert sans_jeton.status_code in (401, 403)

    response = await env.client.post(
        "/consent/v1/autorite/preuves",
        json={"procedure": PROCEDURE, "declaration_id": declaration.id},
        headers=env.bearer("autorite_judiciaire"),
    )
    assert response.status_code == 200, response.text
    bundle = response.content
    rapport = verify_bundle(bundle)
    assert rapport.ok, "\n".join(str(c) for c in rapport.checks)
    assert any(c.piece == fmt.RECEPISSE and "tel qu'émis" in c.message for c in rapport.checks)
    fichiers = read_zip(bundle)
    assert fichiers[fmt.RECEPISSE].strip().decode() == jws
    # Another récépissé (the same, re-signed or altered) no longer matches the leaf's hash.
    # A changed récépissé, manifest and sums recomputed: its hash is no longer the leaf's.
    altere = verify_bundle(forge(bundle, {fmt.RECEPISSE: flip(fichiers[fmt.RECEPISSE], -3)}))
    assert not altere.ok
    assert altere.failure is not None
    assert altere.failure.piece in (fmt.RECEPISSE, "signatures")
