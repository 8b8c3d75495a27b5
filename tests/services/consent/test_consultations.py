"""Consultations by commissaires and verifications by the coffre: matching, motifs, instants, logging."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.consent.models import Consultation
from tests.services.consent.conftest import (
    Consent,
    activer,
    changer_adresse,
    corps,
    declarer,
    morale,
    physique,
    soumettre,
)

C = "/consent/v1/consultations"
V = "/consent/v1/interne/verifications"


def demande(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "destinataire": {
            "type": "physique",
            "nom": "Dupont-Lefèvre",
            "prenoms": "Élise Marie",
            "date_naissance": "1984-07-14",
        },
        "nature": "assignation",
        "reference_dossier": "DOS-2026-0042",
    }
    body.update(changes)
    return body


async def consulter(env: Consent, **changes: Any) -> dict[str, Any]:
    response = await env.client.post(C, json=demande(**changes), headers=env.bearer("commissaire"))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_active_consent_matches_the_normalised_identity(consent_db: Consent) -> None:
    env = consent_db
    d = await activer(env)
    answer = await consulter(env)
    assert answer == {"consentement": True, "declaration_id": d.id, "natures": ["*"], "valide_jusqu_au": None}
    folded = {
        "type": "physique",
        "nom": "DUPONT LEFEVRE",
        "prenoms": "elise-marie",
        "date_naissance": "1984-07-14",
    }
    assert (await consulter(env, destinataire=folded))["consentement"] is True
    apostrophe = {
        "type": "physique",
        "nom": "dupont’lefevre",
        "prenoms": "ÉLISE  MARIE",
        "date_naissance": "1984-07-14",
    }
    assert (await consulter(env, destinataire=apostrophe))["consentement"] is True
    other_birth = {**folded, "date_naissance": "1984-07-15"}
    assert await consulter(env, destinataire=other_birth) == {"consentement": False, "motif": "absent"}
    async with env.runtime.db.transaction() as session:
        rows = (await session.execute(select(Consultation))).scalars().all()
    assert len(rows) == 4
    assert {r.office_id for r in rows} == {"office-paris-1"}
    assert {r.reference_dossier for r in rows} == {"DOS-2026-0042"}
    # Answered once logged; on PostgreSQL the leaves' integration follows in the background.
    await env.state.registre.journal.integrated(env.runtime.db.engine)
    leaves = (await env.client.get("/consent/v1/journal/entrees")).json()["elements"]
    assert sum('"type":"consultation"' in e["donnees"] for e in leaves) == 4
    assert all("DOS-2026-0042" not in e["donnees"] for e in leaves)


def ident(nom: str) -> dict[str, str]:
    return {"type": "physique", "nom": nom, "prenoms": "Jean", "date_naissance": "1970-01-01"}


def body(nom: str, **changes: Any) -> dict[str, Any]:
    personne = physique(nom=nom, prenoms="Jean", date_naissance="1970-01-01")
    return corps(personne, contact={"email": f"{nom}@example.org"}, **changes)


async def test_motifs_for_each_state(consent: Consent) -> None:
    env = consent
    await declarer(env, body("nonconfirme"))
    await soumettre(env, body("enattente"))
    rejected = await soumettre(env, body("rejete"))
    decided = await env.client.post(
        f"/consent/v1/operateur/declarations/{rejected.id}/decision",
        json={"decision": "rejetee", "motif": "Pièce illisible"},
        headers=env.bearer("operateur"),
    )
    assert decided.json()["statut"] == "rejetee"
    revoked = await activer(env, body("revoque"))
    await activer(env, body("expire", fin="2026-03-10"))
    await activer(env, body("perimetre", natures=["commandement_payer"]))
    await env.horloge("2026-03-05T08:00:00Z")
    revocation = await env.client.post(
        f"/consent/v1/declarations/{revoked.id}/revocation", headers=revoked.entetes
    )
    assert revocation.status_code == 200
    await env.horloge("2026-03-11T08:00:00Z")

    expected = {
        "nonconfirme": "non_verifie",
        "enattente": "non_verifie",
        "rejete": "non_verifie",
        "revoque": "revoque",
        "expire": "expire",
        "perimetre": "hors_perimetre",
        "inconnu": "absent",
    }
    for nom, motif in expected.items():
        assert await consulter(env, destinataire=ident(nom)) == {"consentement": False, "motif": motif}, nom
    # The `a` instant is honoured: before the revocation, before the expiry.
    assert (await consulter(env, destinataire=ident("revoque"), a="2026-03-05T07:59:59Z"))[
        "consentement"
    ] is True
    assert (await consulter(env, destinataire=ident("revoque"), a="2026-03-05T08:00:00Z"))[
        "motif"
    ] == "revoque"
    before_fin = await consulter(
        env, destinataire=ident("expire"), a="2026-03-10T22:59:00Z"
    )  # 23:59 in Paris
    assert before_fin["consentement"] is True
    assert before_fin["valide_jusqu_au"] == "2026-03-10"
    assert (await consulter(env, destinataire=ident("expire"), a="2026-03-10T23:00:00Z"))["motif"] == "expire"
    in_scope = await consulter(env, destinataire=ident("perimetre"), nature="commandement_payer")
    assert in_scope["natures"] == ["commandement_payer"]
    # Before the operator accepted it, there was no consent yet.
    assert (await consulter(env, destinataire=ident("perimetre"), a="2026-03-01T00:00:00Z"))[
        "consentement"
    ] is False


async def test_the_active_declaration_answers_beside_a_revoked_one(consent: Consent) -> None:
    old = await activer(consent)
    await consent.horloge("2026-03-03T09:00:00Z")
    assert (
        await consent.client.post(f"/consent/v1/declarations/{old.id}/revocation", headers=old.entetes)
    ).status_code == 200
    await consent.horloge("2026-03-04T09:00:00Z")
    new = await activer(consent)
    answer = await consulter(consent)
    assert answer["consentement"] is True
    assert answer["declaration_id"] == new.id


async def test_legal_person_by_siren(consent: Consent) -> None:
    d = await activer(consent, corps(morale()))
    answer = await consulter(consent, destinataire={"type": "morale", "siren": "732 829 320"})
    assert answer["declaration_id"] == d.id


async def test_bad_consultations(consent: Consent) -> None:
    headers = consent.bearer("commissaire")
    for body in (
        demande(nature="inconnue"),
        demande(nature="*"),
        {k: v for k, v in demande().items() if k != "reference_dossier"},
        demande(reference_dossier=""),
        demande(destinataire={"type": "morale", "siren": "732829321"}),
        demande(a="2026-03-02T09:00:00"),
    ):
        assert (await consent.client.post(C, json=body, headers=headers)).status_code == 422, body
    assert (await consent.client.post(C, json=demande())).status_code == 401
    forbidden = await consent.client.post(C, json=demande(), headers=consent.bearer("operateur"))
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "interdit")


async def test_internal_verification_and_channel(consent_db: Consent) -> None:
    env = consent_db
    d = await activer(env)
    service = env.bearer("service", sub="service:coffre")
    by_id = await env.client.post(
        V,
        json={"destinataire": {"declaration_id": d.id}, "nature": "assignation", "a": "2026-03-02T10:00:00Z"},
        headers=service,
    )
    numero = (await env.client.get(f"/consent/v1/declarations/{d.id}", headers=d.entetes)).json()["numero"]
    assert numero.startswith("RC-")
    assert by_id.json() == {
        "consentement": True,
        "declaration_id": d.id,
        "numero": numero,
        "version": 1,
        "natures": ["*"],
        "declaree_le": "2026-03-02T09:00:00Z",
        "debut": "2026-03-02",
        "fin": None,
        "canal": {"email": "elise.dupont@example.org", "mobile": "+33612345678"},
        "commune_insee": "75056",
        "cour_appel": "paris",
        "fuseau": "Europe/Paris",
        "subdivision_feries": None,
    }
    by_identity = await env.client.post(
        V,
        json={
            "destinataire": demande()["destinataire"],
            "nature": "assignation",
            "a": "2026-03-02T10:00:00Z",
        },
        headers=service,
    )
    assert by_identity.json()["declaration_id"] == d.id
    unknown = await env.client.post(
        V,
        json={
            "destinataire": {"declaration_id": "nope"},
            "nature": "assignation",
            "a": "2026-03-02T10:00:00Z",
        },
        headers=service,
    )
    assert unknown.json() == {"consentement": False, "motif": "absent"}
    commissaire = await env.client.post(
        V,
        json={"destinataire": {"declaration_id": d.id}, "nature": "assignation", "a": "2026-03-02T10:00:00Z"},
        headers=env.bearer("commissaire"),
    )
    assert commissaire.status_code == 403
    canal = await env.client.get(f"/consent/v1/interne/declarations/{d.id}/canal", headers=service)
    assert canal.json() == {
        "declaration_id": d.id,
        "email": "elise.dupont@example.org",
        "mobile": "+33612345678",
    }
    await env.horloge("2026-03-03T09:00:00Z")
    assert (await changer_adresse(env, d, "nouvelle@example.org"))["numero"] == 2
    canal = await env.client.get(f"/consent/v1/interne/declarations/{d.id}/canal", headers=service)
    assert canal.json()["email"] == "nouvelle@example.org"
    # A sending yesterday used yesterday's channel.
    earlier = await env.client.post(
        V,
        json={"destinataire": {"declaration_id": d.id}, "nature": "assignation", "a": "2026-03-02T10:00:00Z"},
        headers=service,
    )
    assert earlier.json()["canal"]["email"] == "elise.dupont@example.org"
    assert (
        await env.client.get("/consent/v1/interne/declarations/nope/canal", headers=service)
    ).status_code == 404
