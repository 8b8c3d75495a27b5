"""A new e-mail confirmation code on request: the old one dies, renewals are paced and capped."""

from __future__ import annotations

from tests.services.consent.conftest import Consent, declarer, formulaire
from tests.services.consent.test_pages import FORM

BASE = "/consent/v1/declarations"


async def test_a_new_code_replaces_the_old_one_at_most_once_a_minute(consent_db: Consent) -> None:
    env = consent_db
    d = await declarer(env)
    premier = env.notify.dernier_code()
    trop_tot = await env.client.post(f"{BASE}/{d.id}/confirmation/renvoi", headers=d.entetes)
    assert trop_tot.status_code == 429
    assert trop_tot.json()["code"] == "trop-de-requetes"
    assert len(env.notify.envois) == 1

    await env.horloge("2026-03-02T09:01:00Z")
    renvoi = await env.client.post(f"{BASE}/{d.id}/confirmation/renvoi", headers=d.entetes)
    assert renvoi.status_code == 202, renvoi.text
    assert renvoi.json()["code_expire_le"] == "2026-03-02T09:16:00Z"
    nouveau = env.notify.dernier_code()
    assert len(env.notify.envois) == 2
    assert env.notify.envois[-1]["objet"] == "confirmation"

    if premier != nouveau:  # the same 6 digits may be drawn twice (1 in a million)
        ancien = await env.client.post(
            f"{BASE}/{d.id}/confirmation", json={"code": premier}, headers=d.entetes
        )
        assert ancien.status_code == 422
    ok = await env.client.post(f"{BASE}/{d.id}/confirmation", json={"code": nouveau}, headers=d.entetes)
    assert ok.status_code == 200, ok.text
    deja = await env.client.post(f"{BASE}/{d.id}/confirmation/renvoi", headers=d.entetes)
    assert deja.status_code == 409


async def test_renewals_are_capped_and_need_the_management_token(consent: Consent) -> None:
    d = await declarer(consent)
    sans_jeton = await consent.client.post(f"{BASE}/{d.id}/confirmation/renvoi")
    assert sans_jeton.status_code == 403
    for minute in range(1, 6):
        await consent.horloge(f"2026-03-02T09:{minute * 2:02d}:00Z")
        r = await consent.client.post(f"{BASE}/{d.id}/confirmation/renvoi", headers=d.entetes)
        assert r.status_code == 202, (minute, r.text)
    await consent.horloge("2026-03-02T10:00:00Z")
    sixieme = await consent.client.post(f"{BASE}/{d.id}/confirmation/renvoi", headers=d.entetes)
    assert sixieme.status_code == 429
    assert len(consent.notify.envois) == 6  # the first code and five renewals


async def test_the_page_offers_a_new_code(consent: Consent) -> None:
    client = consent.client
    created = await formulaire(client, "/consent/declaration", data={**FORM, "consentement_expres": "oui"})
    assert created.status_code == 201, created.text
    assert "Recevoir un nouveau code" in created.text
    declaration_id = created.text.split('action="/consent/espace/')[1].split("/code")[0]
    await consent.horloge("2026-03-02T09:05:00Z")
    renvoi = await formulaire(client, f"/consent/espace/{declaration_id}/code/renvoi")
    assert renvoi.status_code == 200, renvoi.text
    assert "Un nouveau code vient de vous être envoyé" in renvoi.text
    assert len(consent.notify.envois) == 2
    coded = await formulaire(
        client, f"/consent/espace/{declaration_id}/code", data={"code": consent.notify.dernier_code()}
    )
    assert coded.status_code == 303
    client.cookies.clear()
    assert (await formulaire(client, f"/consent/espace/{declaration_id}/code/renvoi")).status_code == 403
