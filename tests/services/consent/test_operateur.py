"""Operator review: queue, view, proofs, decisions."""

from __future__ import annotations

from tests.services.consent.conftest import PDF, Consent, corps, physique, soumettre

OP = "/consent/v1/operateur/declarations"


async def test_queue_view_proof_and_decision(consent: Consent) -> None:
    headers = consent.bearer("operateur")
    ids = []
    for i in range(3):
        d = await soumettre(consent, corps(physique(nom=f"Nom{i}"), contact={"email": f"p{i}@example.org"}))
        ids.append(d.id)
    first = (await consent.client.get(OP, params={"limite": 2}, headers=headers)).json()
    assert len(first["elements"]) == 2
    second = (
        await consent.client.get(OP, params={"limite": 2, "apres": first["suivant"]}, headers=headers)
    ).json()
    assert second["suivant"] is None
    assert sorted(e["id"] for e in first["elements"] + second["elements"]) == sorted(ids)
    view = (await consent.client.get(f"{OP}/{ids[0]}", headers=headers)).json()
    assert view["personne"]["nom"] == "Nom0"
    piece = view["pieces"][0]
    content = await consent.client.get(f"{OP}/{ids[0]}/pieces/{piece['id']}", headers=headers)
    assert content.content == PDF
    assert content.headers["content-type"] == "application/pdf"
    assert (
        await consent.client.get(f"{OP}/{ids[1]}/pieces/{piece['id']}", headers=headers)
    ).status_code == 404
    accepted = await consent.client.post(
        f"{OP}/{ids[0]}/decision", json={"decision": "acceptee", "motif": "ok"}, headers=headers
    )
    assert accepted.json()["statut"] == "active"
    again = await consent.client.post(
        f"{OP}/{ids[0]}/decision", json={"decision": "rejetee", "motif": "non"}, headers=headers
    )
    assert again.status_code == 409
    bad = await consent.client.post(
        f"{OP}/{ids[1]}/decision", json={"decision": "peut-etre", "motif": "?"}, headers=headers
    )
    assert bad.status_code == 422
    assert (await consent.client.get(OP, headers=consent.bearer("commissaire"))).status_code == 403
    assert (await consent.client.get(OP, params={"apres": "!!!"}, headers=headers)).status_code == 422
    remaining = (await consent.client.get(OP, headers=headers)).json()["elements"]
    assert ids[0] not in [e["id"] for e in remaining]
