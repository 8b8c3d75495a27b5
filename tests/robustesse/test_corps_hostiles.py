"""Hostile bodies (issue 12, point 1): JSON that Python's parser would accept but the contract must not,
NUL bytes and invalid UTF-8 in JSON and form fields, multipart abuse. Each is a 4xx problem+json with
its code, and nothing is stored (no leaf in the registry, no acte)."""

from __future__ import annotations

import json
from typing import Any

from tests.robustesse.support import Embarque, verifier_probleme
from tests.services.consent.conftest import corps

DECLARATIONS = "/consent/v1/declarations"
JSON = {"Content-Type": "application/json"}


def _brut(valeur: dict[str, Any]) -> str:
    return json.dumps(valeur, ensure_ascii=False)


async def _rien_enregistre(env: Embarque) -> None:
    assert (await env.client.get("/consent/v1/journal/entrees")).json() == {"elements": []}
    actes = await env.client.get("/coffre/v1/actes", headers=env.entetes("commissaire", "coffre"))
    assert actes.json()["elements"] == []


async def test_hostile_json_bodies(deploiement: Embarque) -> None:
    client = deploiement.client
    valide = _brut(corps())
    cas: dict[str, bytes] = {
        # The same key twice: the first is `false`, the last `true`; which one "was sent"?
        "clé répétée": valide.replace(
            '"consentement_expres": true', '"consentement_expres": false, "consentement_expres": true'
        ).encode(),
        "NUL échappé": valide.replace("Dupont", "Dup\\u0000ont").encode(),
        "NUL brut": valide.replace("Dupont", "Dup\x00ont").encode(),
        "UTF-8 invalide": valide.encode().replace(b"Dupont", b"Dup\xff\xfeont"),
        "surrogate seul": valide.replace("Dupont", "Dup\\ud800ont").encode(),
        "10 000 niveaux": b"[" * 10_000 + b"]" * 10_000,
        "10 000 niveaux d'objets": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        "40 niveaux": json.dumps({"personne": json.loads("[" * 40 + "]" * 40)}).encode(),
        "NaN": valide.replace('"fin": null', '"fin": NaN').encode(),
        "pas du JSON": b"{'personne': 1}",
        "vide d'objet": b"",
    }
    assert cas["clé répétée"].count(b"consentement_expres") == 2
    for nom, octets in cas.items():
        reponse = await client.post(DECLARATIONS, content=octets, headers=JSON)
        probleme = verifier_probleme(reponse, 422, "validation")
        assert probleme["errors"], nom
    # The same declaration without the fault is accepted: the refusals were for the faults.
    assert (await client.post(DECLARATIONS, content=valide.encode(), headers=JSON)).status_code == 201


async def test_nothing_stored_after_hostile_bodies(deploiement: Embarque) -> None:
    client = deploiement.client
    valide = _brut(corps())
    for octets in (
        valide.replace("Dupont", "Dup\\u0000ont").encode(),
        b"[" * 10_000 + b"]" * 10_000,
        valide.replace('"natures": ["*"]', '"natures": ["*"], "natures": ["*"]').encode(),
    ):
        verifier_probleme(await client.post(DECLARATIONS, content=octets, headers=JSON), 422)
    # Form fields: a NUL byte, raw or encoded, on the consent pages' forms.
    for formulaire in (b"email=a%00b%40example.org&mot_de_passe=x", b"email=a\x00b&mot_de_passe=x"):
        reponse = await client.post(
            "/consent/espace/connexion",
            content=formulaire,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        verifier_probleme(reponse, 422, "validation")
    await _rien_enregistre(deploiement)


async def test_multipart_abuse_on_the_deposit(deploiement: Embarque) -> None:
    client = deploiement.client
    entetes = deploiement.entetes("commissaire", "coffre")
    frontiere = "frontiere-essai"
    multipart = {**entetes, "Content-Type": f"multipart/form-data; boundary={frontiere}"}

    def partie(nom: str | None, contenu: bytes, fichier: str | None = None) -> bytes:
        disposition = "form-data" + (f'; name="{nom}"' if nom is not None else "")
        disposition += f'; filename="{fichier}"' if fichier else ""
        return f"--{frontiere}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + contenu + b"\r\n"

    fin = f"--{frontiere}--\r\n".encode()
    meta = partie("metadonnees", b"{}")
    cas: dict[str, bytes] = {
        "10 000 parties": meta
        + b"".join(partie("annexes", b"%PDF-1.7", "a.pdf") for _ in range(10_000))
        + fin,
        "partie sans nom": partie(None, b"x") + fin,
        "frontière jamais fermée": meta + f"--{frontiere}\r\nContent-Disposition: form-data; name=".encode(),
        "document jamais terminé": meta + partie("document", b"%PDF-1.7 " * 1000, "a.pdf")[:-2],
        "rien": b"",
    }
    for nom, octets in cas.items():
        reponse = await client.post("/coffre/v1/actes", content=octets, headers=multipart)
        assert verifier_probleme(reponse, 400, "multipart-invalide")["detail"], nom
    # The consent proofs' upload (FastAPI's own form parser): 10,000 fields, a part with no name.
    jetons = {"X-Jeton-Gestion": "x" * 40, "Content-Type": f"multipart/form-data; boundary={frontiere}"}
    for octets in (b"".join(partie(f"c{i}", b"v") for i in range(10_000)) + fin, partie(None, b"x") + fin):
        reponse = await client.post(f"{DECLARATIONS}/inconnue/pieces", content=octets, headers=jetons)
        verifier_probleme(reponse, 400, "requete-invalide")
    await _rien_enregistre(deploiement)
