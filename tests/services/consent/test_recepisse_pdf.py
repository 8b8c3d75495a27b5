"""The récépissé as a sealed PDF from the personal space: qpdf finds no damage, pdfsig sees one intact
seal over the whole file, the text states the number and the instant in her legal time; only after
submission, only for this browser's declaration. The pages are rendered into test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.services.coffre.reception.test_certificat import rendre_png, valider_independamment
from tests.services.consent.conftest import Consent, declarer, formulaire, soumettre


async def _ouvrir(client: httpx.AsyncClient, declaration_id: str, jeton: str) -> None:
    ouvert = await formulaire(
        client, "/consent/espace", data={"declaration_id": declaration_id, "jeton": jeton}
    )
    assert ouvert.status_code == 303, ouvert.text


async def test_the_recepisse_is_a_sealed_pdf(consent: Consent, tmp_path: Path) -> None:
    d = await soumettre(consent)
    client = consent.client
    await _ouvrir(client, d.id, d.jeton)
    espace = await client.get(f"/consent/espace/{d.id}")
    assert f'href="/consent/espace/{d.id}/recepisse.pdf"' in espace.text
    r = await client.get(f"/consent/espace/{d.id}/recepisse.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["cache-control"] == "no-store"
    await valider_independamment(r.content, tmp_path, "recepisse.pdf")
    [page] = await rendre_png(r.content, tmp_path, "consent-recepisse")
    numero = (await client.get(f"/consent/v1/declarations/{d.id}", headers=d.entetes)).json()["numero"]
    assert numero in page
    assert "lundi 2 mars 2026 à 10 h 00" in page
    assert "heure de la France" in page
    assert "Dupont" not in page  # no personal data beyond the récépissé's

    # Before submission: no récépissé yet; another browser: refused.
    brouillon = await declarer(consent)
    client.cookies.clear()
    await _ouvrir(client, brouillon.id, brouillon.jeton)
    assert (await client.get(f"/consent/espace/{brouillon.id}/recepisse.pdf")).status_code == 404
    assert (await client.get(f"/consent/espace/{d.id}/recepisse.pdf")).status_code == 403


async def test_the_api_serves_the_same_sealed_pdf(consent: Consent, tmp_path: Path) -> None:
    brouillon = await declarer(consent)
    avant = await consent.client.get(
        f"/consent/v1/declarations/{brouillon.id}/recepisse.pdf", headers=brouillon.entetes
    )
    assert (avant.status_code, avant.json()["code"]) == (404, "introuvable")
    d = await soumettre(consent)
    r = await consent.client.get(f"/consent/v1/declarations/{d.id}/recepisse.pdf", headers=d.entetes)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    await valider_independamment(r.content, tmp_path, "recepisse-api.pdf")
    autre = await consent.client.get(
        f"/consent/v1/declarations/{d.id}/recepisse.pdf", headers=brouillon.entetes
    )
    assert autre.status_code == 403
