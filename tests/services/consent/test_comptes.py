"""Destinataire accounts: sign-in with password + code, tokens for the coffre, lock-out, reset."""

from __future__ import annotations

import json
from datetime import datetime

import jwt

from services.notify.courriel.messages import SUJET_VERROUILLAGE
from shared.instants import instant_personne
from tests.services.consent.conftest import Consent, adresse, corps, physique, soumettre

CX = "/consent/v1/interne/destinataires/connexion"
EMAIL = "elise.dupont@example.org"
PASSWORD = "un mot de passe solide 42"


async def connexion(env: Consent, email: str = EMAIL, mot_de_passe: str = PASSWORD) -> dict[str, str]:
    response = await env.client.post(
        CX,
        json={"email": email, "mot_de_passe": mot_de_passe},
        headers=env.bearer("service", sub="service:coffre"),
    )
    result: dict[str, str] = {**response.json(), "http": str(response.status_code)}
    return result


async def code(env: Consent, defi_id: str, value: str) -> tuple[int, dict[str, str]]:
    response = await env.client.post(
        f"{CX}/{defi_id}/code", json={"code": value}, headers=env.bearer("service", sub="service:coffre")
    )
    return response.status_code, response.json()


async def test_sign_in_gives_a_destinataire_token_the_coffre_can_verify(consent: Consent) -> None:
    d = await soumettre(consent)
    other = await soumettre(consent, corps(natures=["assignation"]))  # same person, second declaration
    started = await connexion(consent, email="Elise.Dupont@Example.org")
    assert started["http"] == "200"
    assert consent.notify.envois[-1]["objet"] == "connexion"
    status, body = await code(consent, started["defi_id"], consent.notify.dernier_code())
    assert status == 200, body
    jwks = (await consent.client.get("/consent/v1/.well-known/jwks.json")).json()
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(body["jeton"], key, algorithms=["EdDSA"], audience="coffre", issuer="signif-consent")
    assert claims["role"] == "destinataire"
    assert set(claims["declarations"]) == {d.id, other.id}
    assert claims["exp"] - claims["iat"] == 900
    assert "Dupont" not in json.dumps(claims)
    # A spent challenge cannot be replayed.
    again, _ = await code(consent, started["defi_id"], consent.notify.dernier_code())
    assert again == 401


async def test_unknown_account_and_wrong_password_look_alike(consent: Consent) -> None:
    await soumettre(consent)
    sent = len(consent.notify.envois)
    unknown = await connexion(consent, email="personne@example.org")
    wrong = await connexion(consent, mot_de_passe="pas le bon mot de passe")
    assert unknown["http"] == wrong["http"] == "200"
    assert set(unknown) == set(wrong) == {"http", "defi_id"}
    assert len(consent.notify.envois) == sent  # no code for either
    for defi in (unknown["defi_id"], wrong["defi_id"]):
        status, body = await code(consent, defi, "123456")
        assert (status, body["code"]) == (401, "authentification")


async def test_brute_force_locks_the_account_and_the_lock_is_logged(consent: Consent) -> None:
    await soumettre(consent)
    answers = [await connexion(consent, mot_de_passe=f"essai numero {i}") for i in range(5)]
    # The same answer every time, the lock included (no oracle on the account nor on its state).
    assert [a["http"] for a in answers] == ["200"] * 5
    leaves = (await consent.client.get("/consent/v1/journal/entrees")).json()["elements"]
    assert sum('"type":"compte.verrouille"' in e["donnees"] for e in leaves) == 1
    sent = len(consent.notify.envois)
    assert (await connexion(consent))["code"] == "trop-de-requetes"  # the address's 5 challenges an hour
    await consent.horloge("2026-03-02T10:01:00Z")  # past the 15 min lock and the hour's challenges
    assert (await connexion(consent))["http"] == "200"
    assert len(consent.notify.envois) == sent + 1


async def test_code_attempts_are_limited(consent: Consent) -> None:
    await soumettre(consent)
    started = await connexion(consent)
    good = consent.notify.dernier_code()
    bad = "0" * len(good) if good != "0" * len(good) else "1" * len(good)
    answers = [(await code(consent, started["defi_id"], bad))[0] for _ in range(5)]
    # The fifth wrong code is the account's fifth failure: it locks the account.
    assert answers == [401] * 4 + [429]
    assert (await code(consent, started["defi_id"], good))[0] == 429


async def test_the_lock_notice_states_its_end_in_her_legal_zone(consent: Consent) -> None:
    domicile = {**adresse("97411"), "code_postal": "97400", "commune": "Saint-Denis"}
    await soumettre(consent, corps(physique(domicile=domicile)))
    started = await connexion(consent)
    good = consent.notify.dernier_code()
    bad = "0" * len(good) if good != "0" * len(good) else "1" * len(good)
    for _ in range(5):
        await code(consent, started["defi_id"], bad)
    [notice] = [m for m in consent.notify.smtp.received if m.message["Subject"] == SUJET_VERROUILLAGE]
    leaves = (await consent.client.get("/consent/v1/journal/entrees")).json()["elements"]
    [verrou] = [json.loads(e["donnees"]) for e in leaves if '"type":"compte.verrouille"' in e["donnees"]]
    fin = datetime.fromisoformat(verrou["jusqu_au"])
    texte = notice.part("plain")
    assert f"jusqu'au {instant_personne(fin, 'Indian/Reunion')}." in texte
    assert "(heure de La Réunion)" in texte


async def test_password_reset_reproves_email_and_birth_date(consent: Consent) -> None:
    await soumettre(consent)
    url = "/consent/v1/comptes/reinitialisation"
    sent = len(consent.notify.envois)
    wrong = await consent.client.post(url, json={"email": EMAIL, "date_naissance": "1990-01-01"})
    assert wrong.status_code == 200
    assert len(consent.notify.envois) == sent
    assert (await consent.client.post(url, json={"email": EMAIL})).status_code == 422
    started = await consent.client.post(url, json={"email": EMAIL, "date_naissance": "1984-07-14"})
    assert consent.notify.envois[-1]["objet"] == "reinitialisation"
    defi = started.json()["defi_id"]
    bad = "0" * 8 if consent.notify.dernier_code() != "0" * 8 else "1" * 8
    refused = await consent.client.post(f"{url}/{defi}", json={"code": bad, "mot_de_passe": "x" * 12})
    assert refused.status_code == 401
    done = await consent.client.post(
        f"{url}/{defi}",
        json={"code": consent.notify.dernier_code(), "mot_de_passe": "nouveau secret de 2026"},
    )
    assert done.status_code == 204
    assert (await connexion(consent, mot_de_passe=PASSWORD))["http"] == "200"
    assert len([e for e in consent.notify.envois if e["objet"] == "connexion"]) == 0
    started_new = await connexion(consent, mot_de_passe="nouveau secret de 2026")
    assert consent.notify.envois[-1]["objet"] == "connexion"
    assert (await code(consent, started_new["defi_id"], consent.notify.dernier_code()))[0] == 200
    leaves = (await consent.client.get("/consent/v1/journal/entrees")).json()["elements"]
    assert any('"type":"compte.reinitialise"' in e["donnees"] for e in leaves)


async def test_only_services_may_sign_destinataires_in(consent: Consent) -> None:
    response = await consent.client.post(
        CX, json={"email": EMAIL, "mot_de_passe": PASSWORD}, headers=consent.bearer("commissaire")
    )
    assert response.status_code == 403
    assert (await consent.client.post(CX, json={"email": EMAIL, "mot_de_passe": PASSWORD})).status_code == 401
