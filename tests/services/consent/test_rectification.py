"""Rectifying one's identity or domicile with new proofs: a new version under the operator's review,
the version in force answering commissaires meanwhile, the old one kept, the decision e-mailed with its
motif. Both engines (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text

from services.consent.models import Version
from services.notify.courriel.messages import SUJETS_DECLARATION
from tests.services.consent.conftest import (
    PDF,
    Consent,
    Declaree,
    activer,
    adresse,
    changer_adresse,
    corps,
    morale,
    octets_sqlite,
    physique,
    soumettre,
)
from tests.services.consent.test_consultations import consulter

BASE = "/consent/v1/declarations"
OP = "/consent/v1/operateur"


def _marseille() -> dict[str, str]:
    return {**adresse("13055"), "adresse": "3 quai du Port", "code_postal": "13001", "commune": "Marseille"}


async def _rectifier(
    env: Consent, d: Declaree, personne: dict[str, Any], *pieces: str, entetes: dict[str, str] | None = None
) -> Any:
    data: dict[str, str] = {"personne": json.dumps(personne)}
    files = {}
    for i, type_piece in enumerate(pieces, start=1):
        data[f"type_{i}"] = type_piece
        files[f"fichier_{i}"] = (f"piece{i}.pdf", PDF, "application/pdf")
    return await env.client.post(
        f"{BASE}/{d.id}/rectifications", data=data, files=files or None, headers=entetes or d.entetes
    )


async def _decider(env: Consent, d: Declaree, version: int, decision: str, motif: str) -> Any:
    return await env.client.post(
        f"{OP}/declarations/{d.id}/rectifications/{version}/decision",
        json={"decision": decision, "motif": motif},
        headers=env.bearer("operateur"),
    )


async def _executer(env: Consent) -> None:
    runner = env.runtime.runner
    assert runner is not None
    await runner.run_due()


def _courriels(env: Consent, sujet: str) -> list[str]:
    objet = SUJETS_DECLARATION[sujet]
    return [m.part("plain") for m in env.notify.smtp.received if m.message["Subject"] == objet]


async def test_a_rectified_name_waits_for_the_operator_then_comes_into_force(consent_db: Consent) -> None:
    env = consent_db
    d = await activer(env)
    nouvelle = physique(nom="Martin", domicile=_marseille())
    r = await _rectifier(env, d, nouvelle, "passeport", "justificatif_domicile")
    assert r.status_code == 201, r.text
    assert r.json()["numero"] == 2
    assert r.json()["examen"] == "en_attente_verification"

    # Under review: the version in force still answers, under the declared name only.
    lue = (await env.client.get(f"{BASE}/{d.id}", headers=d.entetes)).json()
    assert lue["version"] == 1
    assert lue["personne"]["nom"] == "Dupont-Lefèvre"
    assert lue["rectification"]["numero"] == 2
    assert lue["rectification"]["personne"]["nom"] == "Martin"
    assert lue["rectification"]["changements"] == ["identite", "domicile"]
    assert sorted(p["version"] or 0 for p in lue["pieces"]) == [0, 0, 2, 2]
    assert (await consulter(env))["consentement"] is True
    martin = {"type": "physique", "nom": "Martin", "prenoms": "Élise Marie", "date_naissance": "1984-07-14"}
    assert (await consulter(env, destinataire=martin))["consentement"] is False

    # One at a time.
    encore = await _rectifier(env, d, physique(nom="Autre"), "passeport")
    assert encore.status_code == 409
    assert encore.json()["code"] == "etat-incompatible"

    # The operator finds it in the queue, reads it with its proofs, and accepts it.
    file = (await env.client.get(f"{OP}/rectifications", headers=env.bearer("operateur"))).json()
    assert [(e["declaration_id"], e["version"]) for e in file["elements"]] == [(d.id, 2)]
    vue = (await env.client.get(f"{OP}/declarations/{d.id}", headers=env.bearer("operateur"))).json()
    preuve = next(p for p in vue["pieces"] if p["version"] == 2)
    contenu = await env.client.get(
        f"{OP}/declarations/{d.id}/pieces/{preuve['id']}", headers=env.bearer("operateur")
    )
    assert contenu.content == PDF
    ok = await _decider(env, d, 2, "acceptee", "Passeport et facture conformes")
    assert ok.status_code == 200, ok.text
    assert ok.json()["version_en_vigueur"] == 2
    assert (await _decider(env, d, 2, "rejetee", "trop tard")).status_code == 409

    lue = (await env.client.get(f"{BASE}/{d.id}", headers=d.entetes)).json()
    assert lue["version"] == 2
    assert lue["rectification"] is None
    assert lue["personne"]["nom"] == "Martin"
    assert lue["personne"]["domicile"]["commune"] == "Marseille"
    assert [(v["numero"], v["examen"], v["motif"]) for v in lue["versions"]] == [
        (1, None, None),
        (2, "acceptee", "Passeport et facture conformes"),
    ]
    assert (await consulter(env, destinataire=martin))["consentement"] is True
    assert (await consulter(env))["consentement"] is False
    await _executer(env)
    [courriel] = _courriels(env, "rectification_acceptee")
    assert "Passeport et facture conformes" in courriel


async def test_a_rejected_rectification_changes_nothing_and_tells_why(consent: Consent) -> None:
    d = await activer(consent)
    r = await _rectifier(consent, d, physique(domicile=_marseille()), "justificatif_domicile")
    assert r.status_code == 201, r.text
    non = await _decider(consent, d, 2, "rejetee", "Justificatif illisible")
    assert non.status_code == 200, non.text
    assert non.json()["version_en_vigueur"] == 1
    lue = (await consent.client.get(f"{BASE}/{d.id}", headers=d.entetes)).json()
    assert lue["version"] == 1
    assert lue["personne"]["domicile"]["commune"] == "Paris"
    assert lue["versions"][-1]["examen"] == "rejetee"
    await _executer(consent)
    [courriel] = _courriels(consent, "rectification_rejetee")
    assert "Justificatif illisible" in courriel
    assert "reste en vigueur" in courriel
    assert "/consent/espace" in courriel
    # The judicial authority sees the rejected rectification as such: never in force.
    trouvees = await consent.client.post(
        "/consent/v1/autorite/recherches",
        json={"procedure": {"juridiction": "TJ Paris", "numero": "RG 26/01234"}, "declaration_id": d.id},
        headers=consent.bearer("autorite_judiciaire"),
    )
    historique = trouvees.json()["declarations"][0]["historique"]
    assert [(v["numero"], v["examen"]) for v in historique] == [(1, None), (2, "rejetee")]
    assert "declaration.rectification_rejetee" in [
        e["type"] for e in trouvees.json()["declarations"][0]["evenements"]
    ]
    # A new rectification may follow the rejected one.
    again = await _rectifier(consent, d, physique(domicile=_marseille()), "justificatif_domicile")
    assert again.status_code == 201
    assert again.json()["numero"] == 3
    # Encrypted at rest like every version: the rectified address is nowhere in clear.
    assert b"quai du Port" not in octets_sqlite(consent)


async def test_a_contact_change_during_review_is_kept_when_it_is_accepted(consent: Consent) -> None:
    d = await activer(consent)
    assert (await _rectifier(consent, d, physique(nom="Martin"), "carte_identite")).status_code == 201
    version = await changer_adresse(consent, d, "elise.martin@example.org")
    assert version["numero"] == 3  # after the rectification's number, in force at once
    ok = await _decider(consent, d, 2, "acceptee", "Conforme")
    assert ok.json()["version_en_vigueur"] == 4
    lue = (await consent.client.get(f"{BASE}/{d.id}", headers=d.entetes)).json()
    assert lue["personne"]["nom"] == "Martin"
    assert lue["contact"]["email"] == "elise.martin@example.org"
    async with consent.runtime.db.transaction() as session:
        numeros = (await session.execute(select(Version.numero).where(Version.declaration_id == d.id))).all()
    assert sorted(n for (n,) in numeros) == [1, 2, 3, 4]


async def test_refusals(consent: Consent) -> None:
    soumise = await soumettre(consent)
    r = await _rectifier(consent, soumise, physique(nom="Martin"), "passeport")
    assert r.status_code == 409  # not in force yet: the operator reviews the declaration itself
    d = await activer(consent, corps(physique(prenoms="Jeanne"), contact={"email": "j@example.org"}))
    manque = await _rectifier(consent, d, physique(prenoms="Jeanne", nom="Martin"))
    assert manque.status_code == 409
    assert manque.json()["code"] == "declaration-incomplete"
    assert "pièce d'identité" in manque.json()["detail"]
    mauvais = await _rectifier(consent, d, physique(prenoms="Jeanne", domicile=_marseille()), "passeport")
    assert mauvais.status_code == 409  # a passport does not prove a domicile
    rien = await _rectifier(consent, d, physique(prenoms="Jeanne"), "passeport")
    assert rien.status_code == 422
    invalide = await consent.client.post(
        f"{BASE}/{d.id}/rectifications", data={"personne": '{"type": "physique"}'}, headers=d.entetes
    )
    assert invalide.status_code == 422
    assert any(e["champ"].startswith("body.personne") for e in invalide.json()["errors"])
    pas_json = await consent.client.post(
        f"{BASE}/{d.id}/rectifications", data={"personne": "{"}, headers=d.entetes
    )
    assert pas_json.status_code == 422
    exe = await consent.client.post(
        f"{BASE}/{d.id}/rectifications",
        data={"personne": json.dumps(physique(prenoms="Jeanne", nom="X")), "type_1": "passeport"},
        files={"fichier_1": ("p.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
        headers=d.entetes,
    )
    assert exe.status_code == 415
    etranger = await _rectifier(
        consent, d, physique(prenoms="Jeanne", nom="X"), "passeport", entetes={"X-Jeton-Gestion": "faux"}
    )
    assert etranger.status_code == 403
    assert (await _decider(consent, d, 1, "acceptee", "?")).status_code == 409
    assert (await _decider(consent, d, 99, "acceptee", "?")).status_code == 404
    lue = (await consent.client.get(f"{BASE}/{d.id}", headers=d.entetes)).json()
    assert lue["rectification"] is None  # nothing stored by refusals
    assert len(lue["versions"]) == 1


async def test_a_company_rectifies_its_seat_but_not_its_siren(consent: Consent) -> None:
    d = await activer(consent, corps(morale(), contact={"email": "contact@levain.example"}))
    siren = await _rectifier(consent, d, morale(siren="552100554"), "pouvoirs_representant")
    assert siren.status_code == 422
    siege = await _rectifier(consent, d, morale(siege=_marseille()), "justificatif_siege")
    assert siege.status_code == 201, siege.text


async def test_the_purge_leaves_no_rectification_notice_behind(consent: Consent) -> None:
    d = await activer(consent)
    assert (
        await _rectifier(consent, d, physique(domicile=_marseille()), "justificatif_domicile")
    ).status_code == 201
    assert (await _decider(consent, d, 2, "rejetee", "Illisible")).status_code == 200
    await _executer(consent)  # the notice leaves; its job stays, keyed by the rectified version
    revoque = await consent.client.post(f"{BASE}/{d.id}/revocation", headers=d.entetes)
    assert revoque.status_code == 200, revoque.text

    async def cles() -> list[str]:
        async with consent.runtime.db.transaction() as session:
            lignes = await session.execute(text("SELECT unique_key FROM jobs WHERE unique_key IS NOT NULL"))
            return [str(k) for (k,) in lignes if d.id in str(k)]

    assert any(k.endswith(":rectification:2") for k in await cles())
    await consent.horloge("2031-03-02T01:00:00Z")  # five years after the revocation, in Paris
    await _executer(consent)
    assert await cles() == []
