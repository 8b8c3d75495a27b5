"""The French web pages: the form shows the mentions in full, then code, proofs, récépissé, personal space."""

from __future__ import annotations

import re
from typing import Any

from services.consent.mentions.textes import SHA256, VERSION
from shared.http import STRICT_CSP
from tests.services.consent.conftest import PDF, Consent, formulaire

FORM: dict[str, Any] = {
    "mentions_version": VERSION,
    "mentions_sha256": SHA256,
    "type": "physique",
    "nom": "Dupont-Lefèvre",
    "prenoms": "Élise Marie",
    "date_naissance": "1984-07-14",
    "lieu_naissance": "Lyon",
    "adresse": "12 rue des Lilas",
    "code_postal": "75011",
    "commune": "Paris",
    "commune_insee": "75056",
    "pays": "France",
    "email": "elise.dupont@example.org",
    "natures": ["*"],
    "mot_de_passe": "un mot de passe solide 42",
}


async def test_form_shows_the_mentions_in_full_with_an_unticked_box(consent: Consent) -> None:
    response = await consent.client.get("/consent/declaration")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == STRICT_CSP
    html = response.text
    for titre in ("Article 653", "Article 662-1", "Article 663", "Article 664 ", "Article 664-1"):
        assert titre in html
    assert "six heures et après vingt et une heures" in html
    assert 'name="consentement_expres" value="oui">' in html  # not checked
    assert "<script" not in html
    assert 'lang="fr"' in html
    css = await consent.client.get("/consent/static/consent.css")
    assert css.status_code == 200
    assert "mentions" in css.text


async def test_unticked_consent_is_refused_and_the_password_not_echoed(consent: Consent) -> None:
    response = await formulaire(consent.client, "/consent/declaration", data=FORM)
    assert response.status_code == 422
    assert "consentement exprès" in response.text
    assert "un mot de passe solide 42" not in response.text
    assert 'value="Dupont-Lefèvre"' in response.text
    assert consent.notify.envois == []


async def test_the_whole_journey_through_the_pages(consent: Consent) -> None:
    client = consent.client
    created = await formulaire(client, "/consent/declaration", data={**FORM, "consentement_expres": "oui"})
    assert created.status_code == 201, created.text
    assert "Conservez ce jeton" in created.text
    declaration_id = created.text.split('action="/consent/espace/')[1].split("/code")[0]
    coded = await formulaire(
        client, f"/consent/espace/{declaration_id}/code", data={"code": consent.notify.dernier_code()}
    )
    assert (coded.status_code, coded.headers["location"]) == (303, f"/consent/espace/{declaration_id}/pieces")
    for type_piece in ("carte_identite", "justificatif_domicile"):
        uploaded = await formulaire(
            client,
            f"/consent/espace/{declaration_id}/pieces",
            data={"type": type_piece},
            files={"fichier": ("p.pdf", PDF)},
        )
        assert uploaded.status_code == 303
    exe = await formulaire(
        client,
        f"/consent/espace/{declaration_id}/pieces",
        data={"type": "passeport"},
        files={"fichier": ("p.pdf", b"MZ\x90")},
    )
    assert exe.status_code == 415
    assert "PDF, JPEG et PNG" in exe.text
    receipt = await formulaire(client, f"/consent/espace/{declaration_id}/soumission")
    assert receipt.status_code == 200
    assert "Récépissé" in receipt.text
    assert re.search(
        r"reçue le lundi 2 mars 2026 à \d{1,2} h \d{2} \(heure de la France métropolitaine\)", receipt.text
    )
    space = await client.get(f"/consent/espace/{declaration_id}")
    assert "en cours de vérification" in space.text
    changed = await formulaire(
        client, f"/consent/espace/{declaration_id}/contact", data={"email": "neuve@example.org"}
    )
    assert "neuve@example.org" in changed.text
    revoked = await formulaire(client, f"/consent/espace/{declaration_id}/revocation")
    assert "Votre consentement est révoqué." in revoked.text
    assert "2 mars 2031" in revoked.text
    # The revocation's instant on her legal clock (Paris domicile), not a UTC timestamp.
    instant = (
        r"Révoquée le</dt><dd>lundi 2 mars 2026 à \d{1,2} h \d{2} \(heure de la France métropolitaine\)</dd>"
    )
    assert re.search(instant, revoked.text), revoked.text
    client.cookies.clear()
    assert (await client.get(f"/consent/espace/{declaration_id}")).status_code == 403
