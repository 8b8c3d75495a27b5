"""Issue 19, finding 6, replayed as a commissaire would: take a declaration id from a consultation,
then read the public registry log looking for it (and for the magistrate who searched)."""

from __future__ import annotations

from tests.services.consent.conftest import Consent, activer
from tests.services.consent.test_consultations import consulter

MAGISTRAT = "juge.martin@justice.example"


async def test_the_public_log_never_names_a_declaration_nor_a_magistrate(consent_db: Consent) -> None:
    env = consent_db
    await activer(env)
    declaration_id = (await consulter(env))["declaration_id"]
    recherche = await env.client.post(
        "/consent/v1/autorite/recherches",
        json={
            "procedure": {"juridiction": "TJ Paris", "numero": "RG 26/01234"},
            "declaration_id": declaration_id,
        },
        headers=env.bearer("autorite_judiciaire", sub=MAGISTRAT),
    )
    assert recherche.status_code == 200, recherche.text
    public = await env.client.get("/consent/v1/journal/entrees")
    feuilles = [e["donnees"] for e in public.json()["elements"]]
    attendus = ('"type":"consultation"', '"type":"autorite.recherche"', '"type":"declaration.acceptee"')
    assert all(any(t in f for f in feuilles) for t in attendus)
    assert all(declaration_id not in f for f in feuilles)
    assert all(MAGISTRAT not in f for f in feuilles)
    assert all('"v":2' in f for f in feuilles)
