"""The personal space reached by signing in (password, then the e-mailed code) instead of the
management token: a declarant who lost the token can still see, change and revoke."""

from __future__ import annotations

import re

from tests.services.consent.conftest import Consent, activer, corps, formulaire, physique
from tests.services.consent.test_session_declarant import EMAIL, PASSWORD


def _defi(html: str) -> str:
    trouve = re.search(r'action="/consent/espace/connexion/([^"]+)"', html)
    assert trouve is not None, html
    return trouve.group(1)


async def test_sign_in_lists_her_declarations_and_lets_her_revoke(consent_db: Consent) -> None:
    env, client = consent_db, consent_db.client
    d = await activer(env)
    autre = await activer(env, corps(physique(nom="Martin"), contact={"email": "martin@example.org"}))
    client.cookies.clear()  # no management token in this browser

    debut = await formulaire(
        client, "/consent/espace/connexion", data={"email": EMAIL, "mot_de_passe": PASSWORD}
    )
    assert debut.status_code == 200
    assert debut.headers["content-security-policy"]
    assert env.notify.envois[-1]["objet"] == "connexion"
    fin = await formulaire(
        client,
        f"/consent/espace/connexion/{_defi(debut.text)}",
        data={"code": env.notify.dernier_code(EMAIL)},
    )
    assert (fin.status_code, fin.headers["location"]) == (303, "/consent/espace/declarations")
    cookie = fin.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/consent/;" in cookie
    assert "secure" in cookie

    liste = await client.get("/consent/espace/declarations")
    assert liste.status_code == 200
    assert f'href="/consent/espace/{d.id}"' in liste.text
    assert autre.id not in liste.text
    assert "active" in liste.text
    # Her declaration opens and can be revoked with the session alone; another person's cannot.
    assert (await client.get(f"/consent/espace/{d.id}")).status_code == 200
    assert (await client.get(f"/consent/espace/{autre.id}")).status_code == 403
    confirmee = {"confirmation": "oui"}  # the confirmation page's button
    assert (
        await formulaire(client, f"/consent/espace/{autre.id}/revocation", data=confirmee)
    ).status_code == 403
    assert (await client.get(f"/consent/espace/{autre.id}/revocation")).status_code == 403
    revoquee = await formulaire(client, f"/consent/espace/{d.id}/revocation", data=confirmee)
    assert "Votre consentement est révoqué." in revoquee.text
    etat = await env.client.get(
        f"/consent/v1/declarations/{autre.id}", headers={"X-Jeton-Gestion": autre.jeton}
    )
    assert etat.json()["statut"] == "active"

    sortie = await formulaire(client, "/consent/espace/deconnexion")
    assert "Vous êtes déconnecté." in sortie.text
    client.cookies.clear()  # what the browser does with the expired cookies
    assert (await client.get("/consent/espace/declarations")).status_code == 401
    assert (await client.get(f"/consent/espace/{d.id}")).status_code == 403


async def test_a_wrong_password_or_code_opens_nothing(consent: Consent) -> None:
    env, client = consent, consent.client
    await activer(env)
    client.cookies.clear()
    envois = len(env.notify.envois)

    faux = await formulaire(
        client, "/consent/espace/connexion", data={"email": EMAIL, "mot_de_passe": "pas le bon"}
    )
    # The same next page as for the right password (no oracle), but no code was sent.
    assert faux.status_code == 200
    assert len(env.notify.envois) == envois
    refus = await formulaire(client, f"/consent/espace/connexion/{_defi(faux.text)}", data={"code": "000000"})
    assert refus.status_code == 401
    assert "Code invalide ou expiré." in refus.text
    assert "set-cookie" not in refus.headers

    bon = await formulaire(
        client, "/consent/espace/connexion", data={"email": EMAIL, "mot_de_passe": PASSWORD}
    )
    code = env.notify.dernier_code(EMAIL)
    faux_code = "1" + code[1:] if code[0] != "1" else "2" + code[1:]
    assert (
        await formulaire(client, f"/consent/espace/connexion/{_defi(bon.text)}", data={"code": faux_code})
    ).status_code == 401
    assert (await client.get("/consent/espace/declarations")).status_code == 401
