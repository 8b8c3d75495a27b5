"""The rectification page over HTTP: a company's seat with its proof, errors beside their field,
one rectification at a time, and the page closed to another browser and to forged forms."""

from __future__ import annotations

import httpx

from tests.services.consent.conftest import PDF, Consent, activer, corps, csrf_de, formulaire, morale

BASE = "/consent/v1/declarations"


async def _ouvrir(client: httpx.AsyncClient, declaration_id: str, jeton: str) -> None:
    ouvert = await formulaire(
        client, "/consent/espace", data={"declaration_id": declaration_id, "jeton": jeton}
    )
    assert ouvert.status_code == 303, ouvert.text


async def test_a_company_rectifies_its_seat_through_the_page(consent: Consent) -> None:
    d = await activer(consent, corps(morale(), contact={"email": "contact@levain.example"}))
    client = consent.client
    await _ouvrir(client, d.id, d.jeton)
    url = f"/consent/espace/{d.id}/rectification"
    page = await client.get(url)
    assert page.status_code == 200
    assert "732829320" in page.text  # shown, not a field
    assert 'name="siren"' not in page.text
    for numero, type_piece in (
        ("1", "pouvoirs_representant"),
        ("2", "identite_representant"),
        ("3", "justificatif_siege"),
    ):
        assert f'name="type_{numero}" value="{type_piece}"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert "reste en vigueur telle qu'elle est" in page.text

    champs = {
        "denomination": "Boulangerie Levain SAS",
        "forme_juridique": "SAS",
        "rep_nom": "Martin",
        "rep_prenoms": "Paul",
        "adresse": "3 quai du Port",
        "code_postal": "13001",
        "type_3": "justificatif_siege",
    }
    # A forged form (no CSRF value): nothing done.
    forge = await client.post(url, data=champs, files={"fichier_3": ("siege.pdf", PDF, "application/pdf")})
    assert forge.status_code == 403
    # An empty name: beside its field, in French, linked, focused; nothing stored.
    vide = await client.post(
        url,
        data={**champs, "denomination": "", "csrf": csrf_de(page.text)},
        files={"fichier_3": ("siege.pdf", PDF, "application/pdf")},
    )
    assert vide.status_code == 422
    assert 'id="denomination-erreur"' in vide.text
    assert 'aria-describedby="denomination-erreur" autofocus' in vide.text
    assert (await client.get(f"{BASE}/{d.id}", headers=d.entetes)).json()["rectification"] is None

    envoye = await client.post(
        url,
        data={**champs, "csrf": csrf_de(page.text)},
        files={"fichier_3": ("siege.pdf", PDF, "application/pdf")},
    )
    assert envoye.status_code == 200, envoye.text
    assert "Rectification en cours d'examen" in envoye.text
    assert "13001 Marseille" in envoye.text
    lue = (await client.get(f"{BASE}/{d.id}", headers=d.entetes)).json()
    assert lue["rectification"]["personne"]["siege"]["commune_insee"] == "13055"
    assert lue["rectification"]["changements"] == ["domicile"]
    assert [p["type"] for p in lue["pieces"] if p["version"] == 2] == ["justificatif_siege"]
    # One at a time: the page says why it is closed.
    encore = await client.get(url)
    assert encore.status_code == 409
    assert "déjà en cours d&#39;examen" in encore.text

    # Another browser, with another declaration's token: refused, as for any page of this one.
    autre = await activer(consent)
    client.cookies.clear()
    await _ouvrir(client, autre.id, autre.jeton)
    assert (await client.get(url)).status_code == 403
    assert (await client.get(f"/consent/espace/{autre.id}/rectification")).status_code == 200
