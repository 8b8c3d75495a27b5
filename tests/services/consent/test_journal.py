"""The registry log: signed checkpoints, leaves without personal data, inclusion and consistency proofs."""

from __future__ import annotations

import base64
import json

from shared.translog import Verifier, leaf_hash, verify_checkpoint, verify_consistency, verify_inclusion
from tests.services.consent.conftest import Consent, declarer, soumettre

J = "/consent/v1/journal"


async def test_checkpoint_entries_and_proofs_verify(consent_db: Consent) -> None:
    env = consent_db
    await declarer(env)
    vkey = (await env.client.get(f"{J}/cle")).text.strip()
    verifier = Verifier.from_vkey(vkey)
    first = await env.client.get(f"{J}/checkpoint")
    assert first.headers["content-type"].startswith("text/plain")
    old = verify_checkpoint(first.text, [verifier])
    assert old.size == 1
    d = await soumettre(env)
    new = verify_checkpoint((await env.client.get(f"{J}/checkpoint")).text, [verifier])
    assert new.size > old.size
    entrees = (await env.client.get(f"{J}/entrees", params={"debut": 0, "fin": new.size})).json()["elements"]
    assert [e["index"] for e in entrees] == list(range(new.size))
    texte = json.dumps(entrees, ensure_ascii=False)
    for secret in ("Dupont", "Élise", "elise.dupont", "1984-07-14", "Lilas"):
        assert secret not in texte
    types = [json.loads(e["donnees"])["type"] for e in entrees]
    assert types[0] == "declaration.creee"
    assert "declaration.soumise" in types
    assert any(json.loads(e["donnees"]).get("declaration_id") == d.id for e in entrees)
    for entree in entrees:
        proof = (
            await env.client.get(
                f"{J}/preuves/inclusion", params={"index": entree["index"], "taille": new.size}
            )
        ).json()
        assert base64.b64decode(entree["hash"]) == leaf_hash(entree["donnees"].encode())
        verify_inclusion(
            leaf_hash(entree["donnees"].encode()),
            entree["index"],
            new.size,
            [base64.b64decode(h) for h in proof["hashes"]],
            new.root_hash,
        )
    consistency = (
        await env.client.get(f"{J}/preuves/coherence", params={"ancienne": old.size, "nouvelle": new.size})
    ).json()
    verify_consistency(
        old.size, new.size, [base64.b64decode(h) for h in consistency["hashes"]], old.root_hash, new.root_hash
    )


async def test_bad_proof_requests_are_422(consent: Consent) -> None:
    await declarer(consent)
    assert (
        await consent.client.get(f"{J}/preuves/inclusion", params={"index": 5, "taille": 2})
    ).status_code == 422
    assert (
        await consent.client.get(f"{J}/preuves/inclusion", params={"index": 0, "taille": 99})
    ).status_code == 422
    assert (
        await consent.client.get(f"{J}/preuves/coherence", params={"ancienne": 3, "nouvelle": 1})
    ).status_code == 422
    assert (await consent.client.get(f"{J}/entrees", params={"debut": 3, "fin": 1})).status_code == 422
