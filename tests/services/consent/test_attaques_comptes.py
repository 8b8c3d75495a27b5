"""Issue 19, findings 1, 2 and 4, replayed as the attacker's requests: guessing reset and sign-in codes
across challenges, probing which addresses have accounts, flooding an inbox, and keeping a session
alive after sign-out, a password reset, a revocation or an operator's decision.
"""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from services.notify.courriel.messages import SUJET_VERROUILLAGE
from tests.services.consent.conftest import DEBUT, Consent, activer, csrf_de, formulaire, soumettre

EMAIL = "elise.dupont@example.org"
PASSWORD = "un mot de passe solide 42"
NAISSANCE = "1984-07-14"
RESET = "/consent/v1/comptes/reinitialisation"
CX = "/consent/v1/comptes/connexion"


def _faux(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def _verrouillages(env: Consent) -> list[str]:
    return [
        str(m.message["To"]) for m in env.notify.smtp.received if m.message["Subject"] == SUJET_VERROUILLAGE
    ]


async def _feuilles(env: Consent, type_: str) -> list[dict[str, object]]:
    elements = (await env.client.get("/consent/v1/journal/entrees")).json()["elements"]
    contenus = [json.loads(e["donnees"]) for e in elements]
    return [c for c in contenus if c["type"] == type_]


async def _reset(env: Consent, email: str = EMAIL) -> httpx.Response:
    return await env.client.post(RESET, json={"email": email, "date_naissance": NAISSANCE})


async def _essayer(env: Consent, defi: str, code: str) -> httpx.Response:
    return await env.client.post(
        f"{RESET}/{defi}", json={"code": code, "mot_de_passe": "pris par l'attaquant"}
    )


async def _a_l_heure(env: Consent, minutes: int) -> None:
    await env.horloge((DEBUT + timedelta(minutes=minutes)).isoformat())


async def test_guessing_reset_codes_locks_the_account_with_back_off(consent: Consent) -> None:
    """Finding 1: 8 challenges × 5 wrong codes, then a 9th challenge, used to change the password."""
    env = consent
    await activer(env)
    envois = len(env.notify.envois)
    premier = (await _reset(env)).json()["defi_id"]
    assert len(env.notify.envois) == envois + 1  # the proof holds: a code goes to the owner
    bon = env.notify.dernier_code(EMAIL)
    assert len(bon) == 8
    reponses = [await _essayer(env, premier, _faux(bon)) for _ in range(5)]
    assert [r.status_code for r in reponses] == [401] * 4 + [429]
    assert reponses[-1].json()["code"] == "compte-verrouille"
    # Locked: the right code of the live challenge is not even checked, new challenges send nothing.
    assert (await _essayer(env, premier, bon)).json()["code"] == "compte-verrouille"
    deuxieme = await _reset(env)
    assert (deuxieme.status_code, set(deuxieme.json())) == (200, {"defi_id"})
    assert len(env.notify.envois) == envois + 1
    # The lock is logged (no identity in clear) and e-mailed to the owner's declared address.
    [verrou] = await _feuilles(env, "compte.verrouille")
    assert verrou["rang"] == 1
    assert EMAIL not in json.dumps(verrou)
    assert _verrouillages(env) == [EMAIL]

    # After the first lock (15 min) the next one lasts twice as long.
    await _a_l_heure(env, 16)
    troisieme = (await _reset(env)).json()["defi_id"]
    code = env.notify.dernier_code(EMAIL)
    for _ in range(5):
        await _essayer(env, troisieme, _faux(code))
    await _a_l_heure(env, 16 + 20)  # 20 min into a 30 min lock
    assert (await _essayer(env, troisieme, code)).json()["code"] == "compte-verrouille"
    assert [f["rang"] for f in await _feuilles(env, "compte.verrouille")] == [1, 2]
    assert _verrouillages(env) == [EMAIL, EMAIL]
    # 5 challenges for this address within the hour: the 6th is refused, like for any address.
    await _a_l_heure(env, 16 + 31)
    assert [(await _reset(env)).status_code for _ in range(2)] == [200, 200]  # the 4th and 5th
    assert (await _reset(env)).json()["code"] == "trop-de-requetes"
    # The owner's password was never changed: she still signs in with it.
    await _a_l_heure(env, 120)
    assert (await env.client.post(CX, json={"email": EMAIL, "mot_de_passe": PASSWORD})).status_code == 200
    assert env.notify.envois[-1]["objet"] == "connexion"


async def test_guessing_sign_in_codes_across_challenges_locks_the_account(consent: Consent) -> None:
    """Finding 2: the password is known; each new challenge used to give 5 fresh tries."""
    env = consent
    await activer(env)
    tentatives: list[int] = []
    defis: list[str] = []
    for _ in range(3):
        defi = (await env.client.post(CX, json={"email": EMAIL, "mot_de_passe": PASSWORD})).json()["defi_id"]
        defis.append(defi)
        for _ in range(5):
            r = await env.client.post(f"{CX}/{defi}/code", json={"code": "00000000"})
            tentatives.append(r.status_code)
    assert tentatives[:5] == [401] * 4 + [429]
    assert set(tentatives[5:]) == {401}  # later challenges are not tied to the (locked) account
    # Whatever the code, nothing opens while locked.
    assert (await env.client.post(f"{CX}/{defis[0]}/code", json={"code": "12345678"})).status_code == 429
    assert [e["objet"] for e in env.notify.envois].count("connexion") == 1


async def test_reset_answers_alike_whether_or_not_the_account_exists(consent: Consent) -> None:
    env = consent
    await soumettre(env)
    connu = [await _reset(env) for _ in range(6)]
    inconnu = [await _reset(env, "personne@example.org") for _ in range(6)]
    for a, b in zip(connu, inconnu, strict=True):
        assert a.status_code == b.status_code
        assert set(a.json()) == set(b.json())
    assert [r.status_code for r in connu] == [200] * 5 + [429]
    assert connu[-1].json() | {"instance": None} == inconnu[-1].json() | {"instance": None}
    # At most a few e-mails an hour reach the owner's inbox.
    assert [e["objet"] for e in env.notify.envois].count("reinitialisation") == 5


async def test_challenges_are_limited_per_client_address(consent: Consent) -> None:
    statuts = [
        (await consent.client.post(CX, json={"email": f"p{i}@example.org", "mot_de_passe": "x"})).status_code
        for i in range(31)
    ]
    assert statuts == [200] * 30 + [429]
    await consent.horloge((DEBUT + timedelta(minutes=61)).isoformat())
    assert (
        await consent.client.post(CX, json={"email": "p@example.org", "mot_de_passe": "x"})
    ).status_code == 200


async def _session_api(env: Consent, mot_de_passe: str = PASSWORD) -> dict[str, str]:
    defi = (await env.client.post(CX, json={"email": EMAIL, "mot_de_passe": mot_de_passe})).json()["defi_id"]
    r = await env.client.post(f"{CX}/{defi}/code", json={"code": env.notify.dernier_code(EMAIL)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['jeton']}"}


async def test_sessions_end_at_sign_out_reset_revocation_and_by_an_operator(consent_db: Consent) -> None:
    """Finding 4: sign-out, a password reset, a revocation and an operator end sessions at once."""
    env = consent_db
    d = await activer(env)
    lire = f"/consent/v1/declarations/{d.id}"

    bearer = await _session_api(env)
    assert (await env.client.get(lire, headers=bearer)).status_code == 200
    assert (await env.client.post("/consent/v1/comptes/deconnexion", headers=bearer)).status_code == 204
    assert (await env.client.get(lire, headers=bearer)).status_code == 401

    await _a_l_heure(env, 61)  # a fresh hour of challenges for this address
    bearer = await _session_api(env)
    defi = (await _reset(env)).json()["defi_id"]
    fait = await env.client.post(
        f"{RESET}/{defi}",
        json={"code": env.notify.dernier_code(EMAIL), "mot_de_passe": "un tout nouveau secret"},
    )
    assert fait.status_code == 204
    assert (await env.client.get(lire, headers=bearer)).status_code == 401

    await _a_l_heure(env, 122)
    bearer = await _session_api(env, "un tout nouveau secret")
    operateur = env.bearer("operateur")
    fin = await env.client.post(f"/consent/v1/operateur/declarations/{d.id}/sessions/fin", headers=operateur)
    assert fin.json()["sessions_terminees"] == 1
    assert (await env.client.get(lire, headers=bearer)).status_code == 401

    # A page session opened with the management token dies with the revocation made elsewhere.
    navigateur = env.client
    navigateur.cookies.clear()
    ouvert = await formulaire(navigateur, "/consent/espace", data={"declaration_id": d.id, "jeton": d.jeton})
    assert ouvert.status_code == 303
    assert (await navigateur.get(f"/consent/espace/{d.id}")).status_code == 200
    revoquee = await env.client.post(f"{lire}/revocation", headers=d.entetes)
    assert revoquee.status_code == 200
    assert (await navigateur.get(f"/consent/espace/{d.id}")).status_code == 403


async def test_a_page_cookie_is_not_a_bearer_token(consent: Consent) -> None:
    """Finding 4: the personal space's cookie value, replayed as `Authorization: Bearer`."""
    env, client = consent, consent.client
    d = await activer(env)
    client.cookies.clear()
    debut = await formulaire(
        client, "/consent/espace/connexion", data={"email": EMAIL, "mot_de_passe": PASSWORD}
    )
    defi = debut.text.split('action="/consent/espace/connexion/')[1].split('"')[0]
    await client.post(
        f"/consent/espace/connexion/{defi}",
        data={"code": env.notify.dernier_code(EMAIL), "csrf": csrf_de(debut.text)},
    )
    cookie = client.cookies.get("signif_session")
    assert cookie is not None
    assert (await client.get(f"/consent/espace/{d.id}")).status_code == 200
    async with httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)) as autre:
        rejoue = await autre.get(
            f"/consent/v1/declarations/{d.id}", headers={"Authorization": f"Bearer {cookie}"}
        )
    assert (rejoue.status_code, rejoue.json()["code"]) == (401, "authentification")
    # Sign-out ends it for good: the same cookie value sent again opens nothing.
    await formulaire(client, "/consent/espace/deconnexion")
    client.cookies.clear()
    client.cookies.set("signif_session", cookie, domain="consent.test", path="/consent/")
    assert (await client.get(f"/consent/espace/{d.id}")).status_code == 403


async def test_a_form_posted_from_another_site_changes_nothing(consent: Consent) -> None:
    """Finding 3: with the session cookie alone (and `Origin: https://evil.example`), the contact
    address changed and the consent was revoked."""
    env, client = consent, consent.client
    d = await activer(env)
    client.cookies.clear()
    ouvert = await formulaire(client, "/consent/espace", data={"declaration_id": d.id, "jeton": d.jeton})
    assert ouvert.status_code == 303
    page = await client.get(f"/consent/espace/{d.id}")
    jeton_csrf = csrf_de(page.text)
    envois = len(env.notify.envois)
    tentatives = [
        ("contact", {"email": "attaquant@evil.example"}, {}),  # no CSRF value: the cookie alone
        (
            "contact",
            {"email": "attaquant@evil.example", "csrf": jeton_csrf},
            {"Origin": "https://evil.example"},
        ),
        ("revocation", {"csrf": jeton_csrf}, {"Sec-Fetch-Site": "cross-site"}),
        ("revocation", {"csrf": "A" * 43}, {}),
    ]
    for action, donnees, entetes in tentatives:
        r = await client.post(f"/consent/espace/{d.id}/{action}", data=donnees, headers=entetes)
        assert r.status_code == 403
        assert "ne vient pas de ce site" in r.text
    assert len(env.notify.envois) == envois  # no code went to the attacker's address
    vue = (await env.client.get(f"/consent/v1/declarations/{d.id}", headers=d.entetes)).json()
    assert (vue["statut"], vue["contact"]["email"]) == ("active", EMAIL)
    # The same forms from the page itself, in the same browser, work.
    ok = await client.post(
        f"/consent/espace/{d.id}/revocation", data={"csrf": jeton_csrf, "confirmation": "oui"}
    )
    assert "Votre consentement est révoqué." in ok.text


async def test_answers_carrying_personal_data_are_not_cached(consent: Consent) -> None:
    """Finding 7: the declarant's and the operator's views had no `Cache-Control: no-store`."""
    env = consent
    d = await activer(env)
    declarant = await env.client.get(f"/consent/v1/declarations/{d.id}", headers=d.entetes)
    operateur = await env.client.get(
        f"/consent/v1/operateur/declarations/{d.id}", headers=env.bearer("operateur")
    )
    for r in (declarant, operateur):
        assert r.status_code == 200
        assert r.json()["contact"]["email"] == EMAIL
        assert r.headers["cache-control"] == "no-store"
