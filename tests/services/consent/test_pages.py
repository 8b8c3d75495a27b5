"""The French web pages: the form shows the mentions in full, then code, proofs, récépissé, personal space."""

from __future__ import annotations

import re
from typing import Any

from services.consent.mentions.textes import SHA256, VERSION
from shared.http import STRICT_CSP
from tests.services.consent.conftest import PDF, Consent, formulaire, soumettre

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
    # All her data: identity, domicile, the proofs she submitted, the history.
    for donnee in (
        "Dupont-Lefèvre",
        "Élise Marie",
        "14 juillet 1984",
        "Lyon",
        "12 rue des Lilas",
        "75011 Paris",
    ):
        assert donnee in space.text, donnee
    assert space.text.count("déposée le lundi 2 mars 2026") == 2
    assert "Envoyée pour vérification le lundi 2 mars 2026" in space.text
    changed = await formulaire(
        client, f"/consent/espace/{declaration_id}/contact", data={"email": "neuve@example.org"}
    )
    assert "neuve@example.org" in changed.text
    # Revoking takes a second page that says what it does and when it takes effect.
    assert f'href="/consent/espace/{declaration_id}/revocation"' in changed.text
    confirmation = await client.get(f"/consent/espace/{declaration_id}/revocation")
    assert confirmation.status_code == 200
    assert "Elle prend effet immédiatement" in confirmation.text
    assert 'name="confirmation" value="oui"' in confirmation.text
    sans_confirmation = await formulaire(client, f"/consent/espace/{declaration_id}/revocation")
    assert "Je confirme la révocation" in sans_confirmation.text  # the same page again, nothing revoked
    assert "en cours de vérification" in (await client.get(f"/consent/espace/{declaration_id}")).text
    revoked = await formulaire(
        client, f"/consent/espace/{declaration_id}/revocation", data={"confirmation": "oui"}
    )
    assert "Votre consentement est révoqué." in revoked.text
    assert "2 mars 2031" in revoked.text
    # The revocation's instant on her legal clock (Paris domicile), not a UTC timestamp.
    instant = (
        r"Révoquée le</dt><dd>lundi 2 mars 2026 à \d{1,2} h \d{2} \(heure de la France métropolitaine\)</dd>"
    )
    assert re.search(instant, revoked.text), revoked.text
    client.cookies.clear()
    assert (await client.get(f"/consent/espace/{declaration_id}")).status_code == 403


async def test_the_registration_number_opens_the_space_with_the_management_token(consent: Consent) -> None:
    client = consent.client
    created = await formulaire(client, "/consent/declaration", data={**FORM, "consentement_expres": "oui"})
    assert created.status_code == 201, created.text
    numero = re.search(r"n° <strong>(RC-[0-9A-Z-]+)</strong>", created.text)
    jeton = re.search(r'<p class="jeton">([^<]+)</p>', created.text)
    assert numero is not None
    assert jeton is not None
    declaration_id = created.text.split('action="/consent/espace/')[1].split("/code")[0]
    client.cookies.clear()
    acces = await client.get("/consent/espace")
    assert "Numéro de la déclaration (RC-…)" in acces.text
    assert 'href="/consent/espace/reinitialisation"' in acces.text
    # As she types it: lower case, with spaces around.
    ouvert = await formulaire(
        client,
        "/consent/espace",
        data={"declaration_id": f"  {numero.group(1).lower()} ", "jeton": jeton.group(1)},
    )
    assert (ouvert.status_code, ouvert.headers["location"]) == (303, f"/consent/espace/{declaration_id}")
    assert numero.group(1) in (await client.get(f"/consent/espace/{declaration_id}")).text
    client.cookies.clear()
    refus = await formulaire(
        client, "/consent/espace", data={"declaration_id": numero.group(1), "jeton": "faux"}
    )
    assert refus.status_code == 403
    inconnu = await formulaire(
        client, "/consent/espace", data={"declaration_id": "RC-2026-0000", "jeton": "x"}
    )
    assert inconnu.status_code == 403


async def test_forgotten_password_through_the_pages(consent: Consent) -> None:
    await soumettre(consent)
    client = consent.client
    page = await client.get("/consent/espace/reinitialisation")
    assert page.status_code == 200
    assert "date de naissance" in page.text.lower()
    envois = len(consent.notify.envois)

    # A wrong date of birth: the same next page, no code sent.
    faux = await formulaire(
        client,
        "/consent/espace/reinitialisation",
        data={"email": "elise.dupont@example.org", "date_naissance": "1990-01-01"},
    )
    assert faux.status_code == 200
    assert "Code reçu par courriel" in faux.text
    assert len(consent.notify.envois) == envois
    # Neither proof: the error names what to give, beside the form.
    vide = await formulaire(
        client, "/consent/espace/reinitialisation", data={"email": "elise.dupont@example.org"}
    )
    assert vide.status_code == 422
    assert 'aria-describedby="erreurs-saisie"' in vide.text
    assert "date de naissance" in vide.text

    demande = await formulaire(
        client,
        "/consent/espace/reinitialisation",
        data={"email": "elise.dupont@example.org", "date_naissance": "1984-07-14"},
    )
    assert len(consent.notify.envois) == envois + 1
    assert consent.notify.envois[-1]["objet"] == "reinitialisation"
    defi = re.search(r'action="/consent/espace/reinitialisation/([^"]+)"', demande.text)
    assert defi is not None
    court = await formulaire(
        client,
        f"/consent/espace/reinitialisation/{defi.group(1)}",
        data={"code": consent.notify.dernier_code(), "mot_de_passe": "court"},
    )
    assert court.status_code == 422
    fait = await formulaire(
        client,
        f"/consent/espace/reinitialisation/{defi.group(1)}",
        data={"code": consent.notify.dernier_code(), "mot_de_passe": "un tout nouveau mot de passe"},
    )
    assert fait.status_code == 200, fait.text
    assert "Votre mot de passe est changé" in fait.text
    assert 'href="/coffre/retrait"' in fait.text
    journal = (await client.get("/consent/v1/journal/entrees")).json()["elements"]
    assert sum('"type":"compte.reinitialise"' in e["donnees"] for e in journal) == 1
    connexion = await client.post(
        "/consent/v1/comptes/connexion",
        json={"email": "elise.dupont@example.org", "mot_de_passe": "un tout nouveau mot de passe"},
    )
    assert connexion.status_code == 200
    assert consent.notify.envois[-1]["objet"] == "connexion"  # the new password holds: a code went out


async def test_the_form_derives_the_commune_from_the_postal_code(consent: Consent) -> None:
    client = consent.client
    vide = await client.get("/consent/declaration")
    assert "INSEE" not in vide.text
    assert "Afficher les communes de ce code postal" in vide.text
    css = (await client.get("/consent/static/consent.css")).text
    assert "form:has(#tp:checked) .bloc-morale" in css  # one identity block at a time, no script
    sans_commune = {k: v for k, v in FORM.items() if k not in ("commune", "commune_insee", "code_postal")}

    # The round trip: the communes of the postal code, as typed (with a space), the rest kept.
    liste = await formulaire(
        client, "/consent/declaration", data={**sans_commune, "code_postal": "01 210", "etape": "communes"}
    )
    assert liste.status_code == 200
    options = re.findall(r'<option value="(\d{5})"[^>]*>([^<]+)</option>', liste.text)
    assert options == [("01160", "Ferney-Voltaire"), ("01281", "Ornex"), ("01435", "Versonnex")]
    assert re.search(r'<select id="commune_insee" name="commune_insee"[^>]* autofocus>', liste.text)
    assert 'value="Dupont-Lefèvre"' in liste.text
    assert "un mot de passe solide 42" not in liste.text

    # Sent without choosing: the error is beside the list, linked to it, and the list is focused.
    envoi = {**sans_commune, "code_postal": "01210", "consentement_expres": "oui", "etape": "envoyer"}
    oubli = await formulaire(client, "/consent/declaration", data=envoi)
    assert oubli.status_code == 422
    assert 'id="commune_insee-erreur"' in oubli.text
    assert re.search(r'<select[^>]*aria-describedby="commune_insee-erreur" autofocus>', oubli.text)
    # A commune of another postal code (a tampered form) is refused the same way.
    autre = await formulaire(client, "/consent/declaration", data={**envoi, "commune_insee": "75056"})
    assert autre.status_code == 422
    assert 'id="commune_insee-erreur"' in autre.text
    inconnu = await formulaire(client, "/consent/declaration", data={**envoi, "code_postal": "00000"})
    assert 'id="code_postal-erreur"' in inconnu.text

    cree = await formulaire(client, "/consent/declaration", data={**envoi, "commune_insee": "01281"})
    assert cree.status_code == 201, cree.text
    jeton = re.search(r'<p class="jeton">([^<]+)</p>', cree.text)
    assert jeton is not None
    declaration_id = cree.text.split('action="/consent/espace/')[1].split("/code")[0]
    lue = await client.get(
        f"/consent/v1/declarations/{declaration_id}", headers={"X-Jeton-Gestion": jeton.group(1)}
    )
    domicile = lue.json()["personne"]["domicile"]
    assert (domicile["code_postal"], domicile["commune"], domicile["commune_insee"]) == (
        "01210",
        "Ornex",
        "01281",
    )


async def test_each_error_is_beside_its_field_in_french_and_the_first_is_focused(consent: Consent) -> None:
    donnees = {**FORM, "nom": "", "email": "pas une adresse", "consentement_expres": "oui"}
    reponse = await formulaire(consent.client, "/consent/declaration", data=donnees)
    assert reponse.status_code == 422
    texte = reponse.text
    assert (
        '<p class="erreur-champ" id="nom-erreur"><strong>Erreur :</strong> Nom : à renseigner.</p>' in texte
    )
    assert re.search(r'id="nom" name="nom" value=""[^>]*aria-describedby="nom-erreur" autofocus', texte)
    assert 'id="email-erreur"' in texte
    assert re.search(r'id="email"[^>]*aria-describedby="email-erreur"(?! autofocus)', texte)
    assert texte.count(" autofocus") == 1  # only the first field in error
    assert '<a href="#nom">Nom</a>' in texte  # the summary links to each field
    assert "Champ « " not in texte  # no raw field name in any message
    assert "nom :" not in texte
