"""The declarant's personal space in a real headless Chromium: sign-in with her e-mail and password,
the e-mailed code, the list of her declarations, one of them opened, sign-out; a screenshot and
axe-core on each page (no serious or critical violation). consent and notify run together under
uvicorn on 127.0.0.1 (the embedded dispatcher) and call each other over HTTP; the code is the one
notify e-mailed to a real SMTP server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.consent.app import create_app as consent_app
from services.notify.app import create_app as notify_app
from shared.clock import TestClock
from shared.testing.browser import chromium, port_libre, servir, verifier_page_largeurs
from shared.testing.smtp import smtp_server
from signif.embedded import EmbeddedApp
from tests.services.coffre.conftest import NOW
from tests.services.coffre.retrait.outils import PERSONNE_AUTRE, PERSONNE_PARIS
from tests.services.coffre.voisins import construire_modele, reglages
from tests.services.consent.conftest import NotifyReel

pytestmark = pytest.mark.browser


async def test_espace_par_connexion_dans_chromium(tmp_path: Path) -> None:
    modele = await construire_modele(tmp_path)  # the standard declarations, through consent's API
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
                reponse = await page.goto(f"{base}/consent/espace")
                assert reponse is not None
                assert reponse.status == 200
                await verifier_page_largeurs(page, "consent-espace-1-acces")

                await page.get_by_label("Adresse électronique").fill(PERSONNE_PARIS.email)
                await page.get_by_label("Mot de passe").fill(PERSONNE_PARIS.mot_de_passe)
                await page.get_by_role("button", name="Me connecter").click()
                champ_code = page.get_by_label("Code reçu par courriel")
                await champ_code.wait_for()
                await verifier_page_largeurs(page, "consent-espace-2-code")

                await champ_code.fill(NotifyReel(smtp).dernier_code(PERSONNE_PARIS.email))
                await page.get_by_role("button", name="Valider").click()
                await page.get_by_role("table", name="Vos déclarations de consentement").wait_for()
                assert page.url == f"{base}/consent/espace/declarations"
                await verifier_page_largeurs(page, "consent-espace-3-declarations")
                # Hers only: the other person's declaration is not listed.
                liens = [await a.get_attribute("href") for a in await page.locator("table a").all()]
                assert liens == [f"/consent/espace/{modele.ids[PERSONNE_PARIS.declaration]}"]
                assert f"/consent/espace/{modele.ids[PERSONNE_AUTRE.declaration]}" not in await page.content()
                # Written for her: the natures in words, dates the French way (not `*`, not ISO).
                ligne = await page.locator("table tbody tr").inner_text()
                assert "tous les actes" in ligne
                assert re.search(
                    r"\b\d{1,2} (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre"
                    r"|novembre|décembre) \d{4}\b",
                    ligne,
                ), ligne
                assert not re.search(r"\d{4}-\d{2}-\d{2}", ligne), ligne

                await page.locator("table a").click()
                revoquer = page.get_by_role("link", name="Révoquer mon consentement…")
                await revoquer.wait_for()
                await verifier_page_largeurs(page, "consent-espace-4-declaration")

                await page.get_by_role("button", name="Me déconnecter").click()
                await page.get_by_text("Vous êtes déconnecté.").wait_for()
                await verifier_page_largeurs(page, "consent-espace-5-deconnexion")
                # The session is gone: the list no longer opens.
                apres = await page.goto(f"{base}/consent/espace/declarations")
                assert apres is not None
                assert apres.status == 401

                # Five wrong codes lock the account: the lock page, on a phone and on a desktop.
                await page.goto(f"{base}/consent/espace")
                await page.get_by_label("Adresse électronique").fill(PERSONNE_PARIS.email)
                await page.get_by_label("Mot de passe").fill(PERSONNE_PARIS.mot_de_passe)
                await page.get_by_role("button", name="Me connecter").click()
                for _ in range(5):
                    await champ_code.fill("00000000")
                    await page.get_by_role("button", name="Valider").click()
                    await page.get_by_role("alert").wait_for()
                await page.get_by_role("heading", name="Compte verrouillé").wait_for()
                await verifier_page_largeurs(page, "consent-espace-6-verrouille")
                await context.close()
