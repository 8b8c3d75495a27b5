"""A new e-mail address counts only once proven by the code sent to it; until then the declared
address keeps receiving the avis (the coffre's channel does not move)."""

from __future__ import annotations

from tests.services.consent.conftest import Consent, activer, declarer, formulaire
from tests.services.consent.test_pages import FORM

BASE = "/consent/v1/declarations"
CANAL = "/consent/v1/interne/declarations/{}/canal"


async def test_the_new_address_waits_for_its_code(consent_db: Consent) -> None:
    env = consent_db
    d = await activer(env)
    service = env.bearer("service", sub="coffre")
    demande = await env.client.post(
        f"{BASE}/{d.id}/versions", json={"contact": {"email": "neuve@example.org"}}, headers=d.entetes
    )
    assert demande.status_code == 202, demande.text
    assert demande.json() == {"email": "neuve@example.org", "code_expire_le": "2026-03-02T09:15:00Z"}
    assert env.notify.envois[-1]["email"] == "neuve@example.org"
    # Nothing changed yet: the coffre still gets the declared address.
    canal = await env.client.get(CANAL.format(d.id), headers=service)
    assert canal.json()["email"] == "elise.dupont@example.org"

    faux = await env.client.post(
        f"{BASE}/{d.id}/versions/confirmation", json={"code": "000000"}, headers=d.entetes
    )
    if env.notify.dernier_code("neuve@example.org") != "000000":
        assert faux.status_code == 422
        assert faux.json()["code"] == "code-invalide"
    ok = await env.client.post(
        f"{BASE}/{d.id}/versions/confirmation",
        json={"code": env.notify.dernier_code("neuve@example.org")},
        headers=d.entetes,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["numero"] == 2
    canal = await env.client.get(CANAL.format(d.id), headers=service)
    assert canal.json()["email"] == "neuve@example.org"
    encore = await env.client.post(
        f"{BASE}/{d.id}/versions/confirmation",
        json={"code": env.notify.dernier_code("neuve@example.org")},
        headers=d.entetes,
    )
    assert encore.status_code == 409


async def test_mobile_only_changes_at_once_and_codes_expire(consent: Consent) -> None:
    d = await activer(consent)
    mobile = await consent.client.post(
        f"{BASE}/{d.id}/versions",
        json={"contact": {"email": "Elise.Dupont@example.org", "mobile": "+33700000000"}},
        headers=d.entetes,
    )
    assert mobile.status_code == 201, mobile.text
    assert mobile.json()["numero"] == 2
    demande = await consent.client.post(
        f"{BASE}/{d.id}/versions", json={"contact": {"email": "autre@example.org"}}, headers=d.entetes
    )
    assert demande.status_code == 202
    await consent.horloge("2026-03-02T09:16:00Z")
    tard = await consent.client.post(
        f"{BASE}/{d.id}/versions/confirmation",
        json={"code": consent.notify.dernier_code("autre@example.org")},
        headers=d.entetes,
    )
    assert tard.status_code == 422


async def test_an_unconfirmed_declaration_cannot_move_its_address(consent: Consent) -> None:
    d = await declarer(consent)
    r = await consent.client.post(
        f"{BASE}/{d.id}/versions", json={"contact": {"email": "autre@example.org"}}, headers=d.entetes
    )
    assert r.status_code == 409
    assert [e["email"] for e in consent.notify.envois] == ["elise.dupont@example.org"]


async def test_the_personal_space_asks_for_the_code(consent: Consent) -> None:
    client = consent.client
    created = await formulaire(client, "/consent/declaration", data={**FORM, "consentement_expres": "oui"})
    declaration_id = created.text.split('action="/consent/espace/')[1].split("/code")[0]
    await formulaire(
        client, f"/consent/espace/{declaration_id}/code", data={"code": consent.notify.dernier_code()}
    )
    page = await formulaire(
        client, f"/consent/espace/{declaration_id}/contact", data={"email": "neuve@example.org"}
    )
    assert page.status_code == 200
    assert "envoyé à neuve@example.org. Saisissez-le ci-dessous" in page.text
    assert "Code reçu à la nouvelle adresse" in page.text
    confirme = await formulaire(
        client,
        f"/consent/espace/{declaration_id}/contact/confirmation",
        data={"code": consent.notify.dernier_code("neuve@example.org")},
    )
    assert "Vos coordonnées ont été mises à jour." in confirme.text
    assert "neuve@example.org" in confirme.text
    assert "Code reçu à la nouvelle adresse" not in confirme.text
