"""Rectifying one's domicile from the personal space, in a real headless Chromium: the form opens on
the data in force, the postal code then the commune (no script), a missing proof reported beside the
form, the proof attached, the form sent with the keyboard; the space then says the rectification is
under review and that the declaration in force stays in force; the operator accepts it (API) and the
space shows the new domicile and the history. axe-core and screenshots at 390 and 1280 px."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page

from services.consent.app import create_app as consent_app
from services.notify.app import create_app as notify_app
from shared.clock import TestClock
from shared.testing.apps import issuer_for
from shared.testing.browser import chromium, port_libre, servir, verifier_page_largeurs
from shared.testing.smtp import SmtpServer, smtp_server
from signif.embedded import EmbeddedApp
from tests.e2e.deploiement import attendre_courriel, code_dans
from tests.services.coffre.conftest import NOW
from tests.services.coffre.retrait.outils import PERSONNE_PARIS
from tests.services.coffre.voisins import construire_modele, reglages
from tests.services.consent.conftest import PDF

pytestmark = pytest.mark.browser


async def _connexion(page: Page, base: str, smtp: SmtpServer) -> None:
    await page.goto(f"{base}/consent/espace")
    await page.get_by_label("Adresse électronique").fill(PERSONNE_PARIS.email)
    await page.get_by_label("Mot de passe").fill(PERSONNE_PARIS.mot_de_passe)
    await page.get_by_role("button", name="Me connecter").click()
    champ_code = page.get_by_label("Code reçu par courriel")
    await champ_code.wait_for()
    # The code leaves after the page answered (a background task): wait for the SMTP server to get it.
    courriel = await attendre_courriel(smtp, lambda m: m.rcpt_tos == [PERSONNE_PARIS.email])
    await champ_code.fill(code_dans(courriel.message))
    await page.get_by_role("button", name="Valider").click()
    await page.locator("table a").click()


async def test_rectifier_son_domicile_dans_chromium(tmp_path: Path) -> None:
    modele = await construire_modele(tmp_path)
    declaration_id = modele.ids[PERSONNE_PARIS.declaration]
    justificatif = tmp_path / "facture-electricite.pdf"
    justificatif.write_bytes(PDF)
    port = port_libre()
    base = f"http://127.0.0.1:{port}"
    async with smtp_server() as smtp:
        clock = TestClock(NOW)
        pour_consent, pour_notify = reglages(tmp_path, smtp, public_url=base)
        deploiement = EmbeddedApp(
            {
                "consent": consent_app(pour_consent, clock=clock),
                "notify": notify_app(pour_notify, clock=clock),
            }
        )
        with servir(deploiement, port):
            async with chromium() as browser:
                context = await browser.new_context(locale="fr-FR")
                page = await context.new_page()
                await _connexion(page, base, smtp)
                await page.get_by_role("link", name="Rectifier mon identité ou mon domicile…").click()
                await page.get_by_role("heading", name="Rectifier mon identité ou mon domicile").wait_for()
                assert page.url == f"{base}/consent/espace/{declaration_id}/rectification"
                # It opens on the data in force, and says the declaration stays in force meanwhile.
                assert await page.get_by_label("Nom", exact=True).input_value() != ""
                assert "reste en vigueur telle qu'elle est" in await page.locator("main").inner_text()
                await verifier_page_largeurs(page, "consent-rectification-1-formulaire")

                # The keyboard alone: the new address, the postal code, Enter lists its communes.
                adresse = page.get_by_label("Adresse (numéro et voie)")
                await adresse.focus()
                await page.keyboard.press("Control+A")
                await page.keyboard.type("3 quai du Port")
                await page.keyboard.press("Tab")
                await page.keyboard.press("Control+A")
                await page.keyboard.type("13001")
                await page.keyboard.press("Enter")
                commune = page.get_by_label("Commune")
                await commune.wait_for()
                assert await commune.locator("option:checked").inner_text() == "Marseille"
                assert await page.evaluate("document.activeElement.id") == "commune_insee"

                # No proof: refused, nothing stored, said beside the form.
                await page.get_by_role("button", name="Envoyer ma rectification à l'opérateur").click()
                alerte = page.get_by_role("alert")
                await alerte.wait_for()
                assert "justificatif de domicile" in await alerte.inner_text()
                # Beside the proofs too, each file field described by it, the first one focused.
                assert "justificatif de domicile" in await page.locator("#pieces-erreur").inner_text()
                assert await page.evaluate("document.activeElement.id") == "fichier_1"
                await verifier_page_largeurs(page, "consent-rectification-2-piece-manquante")

                await page.get_by_label(
                    "Justificatif de domicile — si votre domicile change"
                ).set_input_files(str(justificatif))
                await page.get_by_role("button", name="Envoyer ma rectification à l'opérateur").focus()
                await page.keyboard.press("Enter")
                encadre = page.get_by_role("region", name="Rectification en cours d'examen")
                await encadre.wait_for()
                texte = await encadre.inner_text()
                assert "3 quai du Port" in texte
                assert "Marseille" in texte
                assert "la version 1 reste en vigueur" in texte
                assert "Marseille" not in await page.locator("dl").first.inner_text()
                assert (
                    await page.get_by_role("link", name="Rectifier mon identité ou mon domicile…").count()
                    == 0
                )
                await verifier_page_largeurs(page, "consent-rectification-3-en-examen")

                # The operator accepts it: the space shows the new domicile and the history.
                jeton = issuer_for(pour_consent).token(
                    role="operateur", sub="operateur-1", audience="consent"
                )
                async with httpx.AsyncClient(base_url=base) as client:
                    r = await client.post(
                        f"/consent/v1/operateur/declarations/{declaration_id}/rectifications/2/decision",
                        json={"decision": "acceptee", "motif": "Facture récente à son nom"},
                        headers={"Authorization": f"Bearer {jeton}"},
                    )
                    assert r.status_code == 200, r.text
                await page.goto(f"{base}/consent/espace/{declaration_id}")
                await page.get_by_role("heading", name="Vos données en vigueur").wait_for()
                contenu = await page.locator("main").inner_text()
                assert "13001 Marseille" in contenu
                assert "Version 2 : rectification envoyée le lundi 2 mars 2026" in contenu
                assert "acceptée le lundi 2 mars 2026" in contenu
                assert "motif : Facture récente à son nom" in contenu
                assert "pour la rectification (version 2)" in contenu
                await verifier_page_largeurs(page, "consent-rectification-4-acceptee")
                await context.close()
