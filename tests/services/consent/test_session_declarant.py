"""The declarant's own session (docs/fr/contrat.md: « ou une session de son espace personnel »):
password, then the e-mailed code, then `Authorization: Bearer` instead of `X-Jeton-Gestion`."""

from __future__ import annotations

from tests.services.consent.conftest import Consent, activer, corps, physique

EMAIL = "elise.dupont@example.org"
PASSWORD = "un mot de passe solide 42"


async def session(env: Consent, email: str = EMAIL) -> str:
    debut = await env.client.post(
        "/consent/v1/comptes/connexion", json={"email": email, "mot_de_passe": PASSWORD}
    )
    assert debut.status_code == 200, debut.text
    assert env.notify.envois[-1]["objet"] == "connexion"
    fin = await env.client.post(
        f"/consent/v1/comptes/connexion/{debut.json()['defi_id']}/code",
        json={"code": env.notify.dernier_code(email)},
    )
    assert fin.status_code == 200, fin.text
    jeton: str = fin.json()["jeton"]
    return jeton


async def test_a_session_replaces_the_management_token(consent_db: Consent) -> None:
    env = consent_db
    d = await activer(env)
    autre = await activer(env, corps(physique(nom="Martin"), contact={"email": "martin@example.org"}))
    bearer = {"Authorization": f"Bearer {await session(env)}"}
    vue = await env.client.get(f"/consent/v1/declarations/{d.id}", headers=bearer)
    assert vue.status_code == 200, vue.text
    assert vue.json()["contact"]["email"] == EMAIL
    # Another person's declaration stays closed to this session.
    assert (await env.client.get(f"/consent/v1/declarations/{autre.id}", headers=bearer)).status_code == 403
    revoquee = await env.client.post(f"/consent/v1/declarations/{d.id}/revocation", headers=bearer)
    assert revoquee.status_code == 200, revoquee.text


async def test_a_bad_or_foreign_session_is_refused(consent: Consent) -> None:
    d = await activer(consent)
    jeton = await session(consent)
    altere = {"Authorization": f"Bearer {jeton[:-2]}AA"}
    refus = await consent.client.get(f"/consent/v1/declarations/{d.id}", headers=altere)
    assert refus.status_code == 401
    assert refus.json()["code"] == "authentification"
    # A token minted for the coffre's retrieval pages is not a consent session.
    interne = consent.bearer("service", sub="coffre")
    debut = await consent.client.post(
        "/consent/v1/interne/destinataires/connexion",
        json={"email": EMAIL, "mot_de_passe": PASSWORD},
        headers=interne,
    )
    coffre = await consent.client.post(
        f"/consent/v1/interne/destinataires/connexion/{debut.json()['defi_id']}/code",
        json={"code": consent.notify.dernier_code(EMAIL)},
        headers=interne,
    )
    pour_coffre = {"Authorization": f"Bearer {coffre.json()['jeton']}"}
    assert (
        await consent.client.get(f"/consent/v1/declarations/{d.id}", headers=pour_coffre)
    ).status_code == 401
    # Without anything: the management token is still required.
    assert (await consent.client.get(f"/consent/v1/declarations/{d.id}")).status_code == 403
