"""Declaring: mentions, creation, e-mail code, proofs, submission with a sealed récépissé, revocation."""

from __future__ import annotations

import hashlib
import json
import uuid

from services.consent.mentions.textes import SHA256, VERSION
from shared.crypto.jws import verify_json
from shared.crypto.tokens import hash_token
from tests.services.consent.conftest import (
    PDF,
    PNG,
    Consent,
    corps,
    declarer,
    morale,
    octets_sqlite,
    soumettre,
)

BASE = "/consent/v1/declarations"


async def test_mentions_show_the_articles_in_full_with_version_and_hash(consent: Consent) -> None:
    doc = (await consent.client.get("/consent/v1/mentions")).json()
    assert [a["reference"] for a in doc["articles"]] == [
        "CPC 653",
        "CPC 662-1",
        "CPC 663",
        "CPC 664",
        "CPC 664-1",
    ]
    assert (
        "La signification est faite sur support papier ou par voie électronique."
        in doc["articles"][0]["texte"]
    )
    assert "six heures et après vingt et une heures" in doc["articles"][3]["texte"]
    assert doc["notice"]["texte"].startswith("Votre déclaration")
    assert doc["version"] == VERSION
    canonical = json.dumps(
        {"version": doc["version"], "articles": doc["articles"], "notice": doc["notice"]},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    assert doc["sha256"] == hashlib.sha256(canonical.encode()).hexdigest() == SHA256
    assert {"code": "*", "libelle": "Tous les actes"} in doc["natures"]
    assert {p["code"] for p in doc["types_pieces"]} >= {
        "carte_identite",
        "passeport",
        "justificatif_domicile",
    }
    assert {p["personne"] for p in doc["types_pieces"]} == {"physique", "morale"}


async def test_full_declaration_flow_and_receipt(consent_db: Consent) -> None:
    env = consent_db
    created = await env.client.post(BASE, json=corps())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["statut"] == "en_attente_confirmation"
    assert len(body["jeton_gestion"]) >= 43
    # The code went out by e-mail through the real notify, which accepted consent's service token.
    assert env.notify.envois[-1]["email"] == "elise.dupont@example.org"
    assert env.notify.envois[-1]["objet"] == "confirmation"
    d = await soumettre(env)
    view = await env.client.get(f"{BASE}/{d.id}", headers=d.entetes)
    assert view.status_code == 200
    data = view.json()
    assert data["statut"] == "en_attente_verification"
    assert data["personne"]["nom"] == "Dupont-Lefèvre"
    assert data["contact"]["email"] == "elise.dupont@example.org"
    assert data["mentions"] == {"version": VERSION, "sha256": SHA256}
    assert data["email_confirme"] is True
    assert sorted(p["type"] for p in data["pieces"]) == ["carte_identite", "justificatif_domicile"]


async def test_receipt_is_sealed_and_verifies_with_the_published_key(consent: Consent) -> None:
    d = await declarer(consent)
    code = consent.notify.dernier_code()
    await consent.client.post(f"{BASE}/{d.id}/confirmation", json={"code": code}, headers=d.entetes)
    for type_piece in ("passeport", "justificatif_domicile"):
        await consent.client.post(
            f"{BASE}/{d.id}/pieces",
            data={"type": type_piece},
            files={"fichier": ("p.png", PNG)},
            headers=d.entetes,
        )
    submitted = await consent.client.post(f"{BASE}/{d.id}/soumission", headers=d.entetes)
    assert submitted.status_code == 200, submitted.text
    recepisse = submitted.json()["recepisse"]
    jwks = (await consent.client.get("/consent/v1/.well-known/sceau.jwks.json")).json()
    payload = verify_json(recepisse["jws"], jwks)
    assert payload["declaration_id"] == d.id
    assert payload["numero"] == recepisse["numero"]
    assert payload["mentions"]["sha256"] == SHA256
    assert "Dupont" not in json.dumps(payload)


async def test_submission_needs_confirmation_and_proofs(consent: Consent) -> None:
    d = await declarer(consent)
    early = await consent.client.post(f"{BASE}/{d.id}/soumission", headers=d.entetes)
    assert (early.status_code, early.json()["code"]) == (409, "declaration-incomplete")
    code = consent.notify.dernier_code()
    await consent.client.post(f"{BASE}/{d.id}/confirmation", json={"code": code}, headers=d.entetes)
    missing = await consent.client.post(f"{BASE}/{d.id}/soumission", headers=d.entetes)
    assert missing.status_code == 409
    assert "justificatif de domicile" in missing.json()["detail"]


async def test_legal_person_declares_with_a_valid_siren(consent: Consent) -> None:
    d = await soumettre(consent, corps(morale()))
    view = (await consent.client.get(f"{BASE}/{d.id}", headers=d.entetes)).json()
    assert view["personne"]["siren"] == "732829320"


async def test_bad_declarations_are_422(consent: Consent) -> None:
    cases = [
        {k: v for k, v in corps().items() if k != "consentement_expres"},
        corps(consentement_expres=False),
        corps(consentement_expres="true"),
        corps(consentement_expres=1),
        corps(natures=["inconnue"]),
        corps(natures=[]),
        corps(debut="2026-05-01", fin="2026-04-30"),
        corps(morale(siren="732829321")),
        corps(morale(siren="12345678")),
        corps(contact={"email": "pas-une-adresse"}),
        corps(mentions={"version": VERSION, "sha256": "0" * 64}),
        corps(mentions={"version": "1999-1", "sha256": SHA256}),
        corps(
            personne={
                **corps()["personne"],
                "domicile": {**corps()["personne"]["domicile"], "commune_insee": "00000"},
            }
        ),
        corps(mot_de_passe="court"),
        {**corps(), "inattendu": 1},
    ]
    for body in cases:
        response = await consent.client.post(BASE, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    # fin before the default debut (today) too.
    past = await consent.client.post(BASE, json=corps(fin="2026-03-01"))
    assert past.status_code == 422
    assert consent.notify.envois == []


async def test_wrong_code_is_counted_and_locks_the_confirmation(consent: Consent) -> None:
    d = await declarer(consent)
    good = consent.notify.dernier_code()
    bad = "000000" if good != "000000" else "111111"
    for _ in range(consent.settings.code_max_attempts):
        response = await consent.client.post(
            f"{BASE}/{d.id}/confirmation", json={"code": bad}, headers=d.entetes
        )
        assert (response.status_code, response.json()["code"]) == (422, "code-invalide")
    locked = await consent.client.post(f"{BASE}/{d.id}/confirmation", json={"code": good}, headers=d.entetes)
    assert locked.status_code == 422


async def test_proofs_are_sniffed_and_size_limited(consent: Consent) -> None:
    d = await declarer(consent)
    url = f"{BASE}/{d.id}/pieces"
    exe = await consent.client.post(
        url,
        data={"type": "carte_identite"},
        files={"fichier": ("id.pdf", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf")},
        headers=d.entetes,
    )
    assert (exe.status_code, exe.json()["code"]) == (415, "type-non-supporte")
    elf = await consent.client.post(
        url,
        data={"type": "carte_identite"},
        files={"fichier": ("id.pdf", b"\x7fELF" + b"\x00" * 100)},
        headers=d.entetes,
    )
    assert elf.status_code == 415
    big = PDF + b"0" * consent.settings.max_piece_bytes
    too_big = await consent.client.post(
        url, data={"type": "carte_identite"}, files={"fichier": ("id.pdf", big)}, headers=d.entetes
    )
    assert (too_big.status_code, too_big.json()["code"]) == (413, "trop-volumineux")
    wrong_type = await consent.client.post(
        url, data={"type": "pouvoirs_representant"}, files={"fichier": ("a.pdf", PDF)}, headers=d.entetes
    )
    assert wrong_type.status_code == 422
    ok = await consent.client.post(
        url, data={"type": "carte_identite"}, files={"fichier": ("a.pdf", PDF)}, headers=d.entetes
    )
    assert ok.status_code == 201
    assert ok.json()["media_type"] == "application/pdf"
    assert ok.json()["sha256"] == hashlib.sha256(PDF).hexdigest()


async def test_management_token_is_required_and_hashed(consent: Consent) -> None:
    d = await declarer(consent)
    assert (
        await consent.client.get(f"{BASE}/{d.id}", headers={"X-Jeton-Gestion": "faux"})
    ).status_code == 403
    missing = await consent.client.get(f"{BASE}/{d.id}")
    assert (missing.status_code, missing.json()["code"]) == (403, "jeton-gestion-invalide")
    other = await declarer(consent, corps(contact={"email": "autre@example.org"}))
    assert (await consent.client.get(f"{BASE}/{d.id}", headers=other.entetes)).status_code == 403
    assert (await consent.client.post(f"{BASE}/{d.id}/revocation", headers=other.entetes)).status_code == 403
    # Issue 19 (finding 7): a wrong token on an existing id and any token on an unknown id get one
    # answer, so the answer tells nothing about which ids exist.
    autre_fin = "B" if d.jeton.endswith("A") else "A"  # a token ending in "A" made this flaky (1 run in 64)
    faux = await consent.client.get(f"{BASE}/{d.id}", headers={"X-Jeton-Gestion": d.jeton[:-1] + autre_fin})
    inconnue = await consent.client.get(f"{BASE}/{uuid.uuid4()}", headers=d.entetes)
    assert faux.status_code == inconnue.status_code == 403
    assert faux.json() | {"instance": None} == inconnue.json() | {"instance": None}
    raw = octets_sqlite(consent)
    assert d.jeton.encode() not in raw
    assert hash_token(d.jeton).encode() in raw


async def test_revocation_twice_is_409(consent: Consent) -> None:
    d = await soumettre(consent)
    await consent.horloge("2026-03-03T10:00:00Z")
    first = await consent.client.post(f"{BASE}/{d.id}/revocation", headers=d.entetes)
    assert first.status_code == 200
    assert first.json() == {"id": d.id, "statut": "revoquee", "revoquee_le": "2026-03-03T10:00:00Z"}
    second = await consent.client.post(f"{BASE}/{d.id}/revocation", headers=d.entetes)
    assert (second.status_code, second.json()["code"]) == (409, "deja-revoquee")
    view = (await consent.client.get(f"{BASE}/{d.id}", headers=d.entetes)).json()
    assert view["destruction_le"] == "2031-03-03"


async def test_idempotency_key_replays_the_first_answer(consent: Consent) -> None:
    headers = {"Idempotency-Key": "cle-1"}
    first = await consent.client.post(BASE, json=corps(), headers=headers)
    again = await consent.client.post(BASE, json=corps(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(consent.notify.envois) == 1
    other = await consent.client.post(BASE, json=corps(natures=["assignation"]), headers=headers)
    assert (other.status_code, other.json()["code"]) == (409, "idempotence-conflit")
