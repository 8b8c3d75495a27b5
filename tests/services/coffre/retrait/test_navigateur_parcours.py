"""The destinataire's whole journey in a real headless Chromium, every page at 390 px and 1280 px
(no horizontal scroll, axe-core without serious or critical violation, screenshots kept under
`test-artifacts/`): the home page, an error page, the declaration form (errors beside their fields,
the first focused; postal code then commune; one identity block at a time), the code, the proofs, the
récépissé, the personal space and the revocation's confirmation, « mot de passe oublié », and the
destinataire's space at `/coffre/retrait` (sign-in, way back from the code step, her actes with their
annexes), then her declarations' management at consent without a second sign-in. The three services
run together under uvicorn on 127.0.0.1 (the embedded dispatcher); codes
are the ones notify e-mailed to a real SMTP server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page

from services.coffre.app import create_app
from services.coffre.settings import CoffreSettings
from services.consent.app import create_app as consent_app
from services.notify.app import create_app as notify_app
from shared.clock import TestClock
from shared.testing.apps import commissaire_claims, issuer_for, migrate
from shared.testing.browser import chromium, port_libre, servir, verifier_page_largeurs
from shared.testing.databases import sqlite_url
from shared.testing.pki import ThrowawayPki
from shared.testing.smtp import smtp_server
from signif.embedded import EmbeddedApp
from tests.services.coffre.conftest import NOW, metadonnees, multipart
from tests.services.coffre.retrait.outils import PERSONNE_PARIS
from tests.services.coffre.voisins import Modele, reglages
from tests.services.consent.conftest import PDF, NotifyReel

pytestmark = pytest.mark.browser
EMAIL = "camille.martin@example.org"
MOT_DE_PASSE = "un mot de passe tout neuf 7"


async def _focus(page: Page) -> str:
    return str(await page.evaluate("document.activeElement ? document.activeElement.id : ''"))


async def test_parcours_du_destinataire_sur_un_telephone(
    tmp_path: Path, depot_pki: ThrowawayPki, pdf_signe: bytes, pdf_signe_bis: bytes, registre_modele: Modele
) -> None:
    port = port_libre()
    base = f"http://127.0.0.1:{port}"
    settings = CoffreSettings(
        env="test",
        var_dir=tmp_path,
        database_url=sqlite_url(tmp_path),
        run_jobs_in_process=False,
        now=NOW,
        public_url=base,
        trust_roots=depot_pki.trusted_root_pem,
        taches_periodiques=False,
    )
    await migrate(settings)
    registre_modele.copier(tmp_path)
    issuer = issuer_for(settings)
    commissaire = {
        "Authorization": "Bearer "
        + issuer.token(role="commissaire", sub="commissaire-1", audience="coffre", **commissaire_claims())
    }
    async with smtp_server() as smtp:
        clock = TestClock(NOW)
        pour_consent, pour_notify = reglages(tmp_path, smtp, public_url=base)
        deploiement = EmbeddedApp(
            {
                "consent": consent_app(pour_consent, clock=clock),
                "coffre": create_app(settings, clock=clock),
                "notify": notify_app(pour_notify, clock=clock),
            }
        )
        codes = NotifyReel(smtp)
        piece = tmp_path / "piece.pdf"
        piece.write_bytes(PDF)
        with servir(deploiement, port):
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                depot = await http.post(
                    "/coffre/v1/actes",
                    headers=commissaire,
                    **multipart(metadonnees(), pdf_signe, ("Décompte des sommes dues.pdf", pdf_signe_bis)),
                )
                assert depot.status_code == 201, depot.text
            async with chromium() as browser:
                context = await browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
                page = await context.new_page()
                await _accueil_et_erreur(page, base)
                jeton = await _declarer(page, base, codes, piece)
                await _espace_personnel(page, base, jeton)
                await _mot_de_passe_oublie(page, base, codes)
                await _espace_destinataire(page, base, codes)
                await context.close()


async def _accueil_et_erreur(page: Page, base: str) -> None:
    reponse = await page.goto(f"{base}/")
    assert reponse is not None
    assert reponse.status == 200
    await verifier_page_largeurs(page, "parcours-01-accueil")
    reponse = await page.goto(f"{base}/coffre/cette-page-n-existe-pas")
    assert reponse is not None
    assert reponse.status == 404
    await page.get_by_role("heading", name="Page introuvable").wait_for()
    await verifier_page_largeurs(page, "parcours-02-erreur-404")


async def _declarer(page: Page, base: str, codes: NotifyReel, piece: Path) -> tuple[str, str]:
    await page.goto(f"{base}/consent/declaration")
    await verifier_page_largeurs(page, "parcours-03-formulaire")
    # One identity block at a time, by the radio alone (no script on the page).
    await page.get_by_label("une personne morale", exact=False).check()
    assert await page.get_by_label("Dénomination", exact=True).is_visible()
    assert not await page.get_by_label("Nom", exact=True).is_visible()
    await verifier_page_largeurs(page, "parcours-04-formulaire-personne-morale")
    await page.get_by_label("une personne physique", exact=False).check()
    assert await page.get_by_label("Nom", exact=True).is_visible()
    assert not await page.get_by_label("Dénomination", exact=True).is_visible()

    # Sent half-filled: each error beside its field, the first one focused.
    await page.get_by_label("Prénoms", exact=True).fill("Camille")
    await page.get_by_label("Adresse électronique", exact=True).fill("pas-une-adresse")
    await page.get_by_role("button", name="Envoyer ma déclaration").click()
    await page.locator("#nom-erreur").wait_for()
    assert await _focus(page) == "nom"
    assert await page.get_by_label("Nom", exact=True).get_attribute("aria-describedby") == "nom-erreur"
    assert await page.locator("#email-erreur").is_visible()
    assert "Une information est manquante" not in await page.content()  # every error has its field
    await verifier_page_largeurs(page, "parcours-05-formulaire-erreurs")

    for libelle, valeur in (
        ("Nom", "Martin"),
        ("Date de naissance", "1991-04-23"),
        ("Lieu de naissance", "Bourg-en-Bresse"),
        ("Adresse (numéro et voie)", "3 chemin des Crêts"),
        ("Code postal", "01210"),
    ):
        await page.get_by_label(libelle, exact=True).fill(valeur)
    await page.get_by_role("button", name="Afficher les communes de ce code postal").click()
    commune = page.get_by_label("Commune", exact=True)
    await commune.wait_for()
    assert await _focus(page) == "commune_insee"
    await verifier_page_largeurs(page, "parcours-06-formulaire-communes")
    await commune.select_option(label="Ornex")
    await page.get_by_label("Adresse électronique", exact=True).fill(EMAIL)
    await page.get_by_label("Tous les actes", exact=True).check()
    await page.get_by_label("Mot de passe", exact=True).fill(MOT_DE_PASSE)
    # The box of consent, with the keyboard alone.
    await page.get_by_label("Je consens expressément", exact=False).focus()
    await page.keyboard.press("Space")
    assert await page.get_by_label("Je consens expressément", exact=False).is_checked()
    await page.get_by_role("button", name="Envoyer ma déclaration").click()

    champ_code = page.get_by_label("Code reçu par courriel")
    await champ_code.wait_for()
    numero = await page.locator("main strong").first.inner_text()
    jeton = await page.locator(".jeton").inner_text()
    assert numero.startswith("RC-")
    await verifier_page_largeurs(page, "parcours-07-code")
    await champ_code.fill(codes.dernier_code(EMAIL))
    await page.get_by_role("button", name="Confirmer mon adresse").click()
    for type_piece in ("carte_identite", "justificatif_domicile"):
        await page.get_by_label("Type de pièce").select_option(type_piece)
        await page.get_by_label("Fichier").set_input_files(str(piece))
        await page.get_by_role("button", name="Déposer la pièce").click()
        await page.get_by_label("Type de pièce").wait_for()
    await verifier_page_largeurs(page, "parcours-08-pieces")
    await page.get_by_role("button", name="Terminer et envoyer ma déclaration").click()
    await page.get_by_role("heading", name="Récépissé scellé").wait_for()
    assert re.search(
        r"reçue le lundi 2 mars 2026 à \d+ h \d{2} \(heure de la France métropolitaine\)",
        await page.content(),
    )
    await verifier_page_largeurs(page, "parcours-09-recepisse")
    return numero, jeton


async def _espace_personnel(page: Page, base: str, numero_et_jeton: tuple[str, str]) -> None:
    numero, jeton = numero_et_jeton
    await page.context.clear_cookies()
    await page.goto(f"{base}/consent/espace")
    await verifier_page_largeurs(page, "parcours-10-acces")
    await page.get_by_label("Numéro de la déclaration (RC-…)").fill(numero.lower())
    await page.get_by_label("Jeton de gestion").fill(jeton)
    await page.get_by_role("button", name="Accéder").click()
    await page.get_by_role("heading", name="Vos données").wait_for()
    assert "Ornex" in await page.content()
    await verifier_page_largeurs(page, "parcours-11-espace-personnel")
    await page.get_by_role("link", name="Révoquer mon consentement…").click()
    await page.get_by_role("button", name="Je confirme la révocation").wait_for()
    await verifier_page_largeurs(page, "parcours-12-revocation-confirmation")
    await page.get_by_role("link", name="Annuler et revenir à ma déclaration").click()
    await page.get_by_role("heading", name="Vos données").wait_for()


async def _mot_de_passe_oublie(page: Page, base: str, codes: NotifyReel) -> None:
    await page.goto(f"{base}/coffre/retrait")
    await page.get_by_role("link", name="Mot de passe oublié ?").click()
    await page.get_by_label("Adresse électronique déclarée").wait_for()
    await verifier_page_largeurs(page, "parcours-13-mot-de-passe-oublie")
    await page.get_by_label("Adresse électronique déclarée").fill(EMAIL)
    await page.get_by_label("Date de naissance (personne physique)").fill("1991-04-23")
    await page.get_by_role("button", name="Recevoir un code").click()
    await page.get_by_label("Code reçu par courriel").wait_for()
    await verifier_page_largeurs(page, "parcours-14-mot-de-passe-code")
    await page.get_by_label("Code reçu par courriel").fill(codes.dernier_code(EMAIL))
    await page.get_by_label("Nouveau mot de passe (12 caractères au moins)").fill(
        "encore un autre mot de passe"
    )
    await page.get_by_role("button", name="Changer mon mot de passe").click()
    await page.get_by_text("Votre mot de passe est changé.").wait_for()
    await verifier_page_largeurs(page, "parcours-15-mot-de-passe-change")


async def _espace_destinataire(page: Page, base: str, codes: NotifyReel) -> None:
    await page.goto(f"{base}/coffre/retrait")
    await verifier_page_largeurs(page, "parcours-16-espace-connexion")
    # A mistyped password: the code step, and the visible way back.
    await page.get_by_label("Adresse électronique").fill(PERSONNE_PARIS.email)
    await page.get_by_label("Mot de passe").fill("une faute de frappe")
    await page.get_by_role("button", name="Recevoir un code de connexion").click()
    await page.get_by_label("Code à usage unique (8 chiffres)").wait_for()
    assert await _focus(page) == "code"
    await verifier_page_largeurs(page, "parcours-17-espace-code")
    await page.get_by_role("button", name="Revenir à la connexion").click()
    await page.get_by_label("Mot de passe").wait_for()

    # Keyboard only: the e-mail, the password, Enter.
    await page.get_by_label("Adresse électronique").focus()
    await page.keyboard.type(PERSONNE_PARIS.email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PERSONNE_PARIS.mot_de_passe)
    await page.keyboard.press("Enter")
    champ = page.get_by_label("Code à usage unique (8 chiffres)")
    await champ.wait_for()
    await page.keyboard.type(codes.dernier_code(PERSONNE_PARIS.email))
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", name="Les actes qui vous ont été signifiés").wait_for()
    texte = await page.content()
    assert "Décompte des sommes dues.pdf" in texte
    assert "Non consulté" in texte
    await verifier_page_largeurs(page, "parcours-18-espace-actes")

    # One sign-in for both spaces: her declarations' management, with the keyboard, no new sign-in.
    await page.get_by_role("button", name="Gérer mes déclarations").focus()
    await page.keyboard.press("Enter")
    continuer = page.get_by_role("button", name="Continuer vers mes déclarations")
    await continuer.wait_for()
    await verifier_page_largeurs(page, "parcours-19-passage")
    await continuer.focus()
    await page.keyboard.press("Enter")
    await page.get_by_role("table", name="Vos déclarations de consentement").wait_for()
    assert page.url == f"{base}/consent/espace/declarations"
    await verifier_page_largeurs(page, "parcours-20-declarations-sans-nouvelle-connexion")
