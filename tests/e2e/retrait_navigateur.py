"""The destinataire's retrieval in real headless Chromium (Debian `chromium` through Playwright):
open the e-mailed link, sign in with the password, enter the e-mailed code, click "Télécharger
l'acte". A screenshot of each page goes to `artifacts_dir()` (kept as test artefacts)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Page

from shared.testing.browser import artifacts_dir, chromium

PREFIXE = "e2e-histoire"


async def _capture(page: Page, nom: str) -> Path:
    chemin = artifacts_dir() / f"{PREFIXE}-{nom}.png"
    await page.screenshot(path=str(chemin), full_page=True)
    return chemin


async def telecharger(
    lien: str, email: str, mot_de_passe: str, code: Callable[[], Awaitable[str]], destination: Path
) -> list[Path]:
    """Walk the pages and save the downloaded acte to `destination`; return the screenshots."""
    captures: list[Path] = []
    async with chromium() as browser:
        context = await browser.new_context(accept_downloads=True, locale="fr-FR")
        page = await context.new_page()
        reponse = await page.goto(lien)
        assert reponse is not None
        assert reponse.status == 200
        assert await page.title() == "Un acte vous a été signifié — Signif"
        captures.append(await _capture(page, "1-lien"))

        await page.get_by_label("Adresse électronique").fill(email)
        await page.get_by_label("Mot de passe").fill(mot_de_passe)
        await page.get_by_role("button", name="Recevoir un code de connexion").click()
        champ_code = page.get_by_label("Code à usage unique (8 chiffres)")
        await champ_code.wait_for()
        captures.append(await _capture(page, "2-code"))

        await champ_code.fill(await code())
        await page.get_by_role("button", name="Valider le code").click()
        bouton = page.get_by_role("button", name="Télécharger l'acte", exact=True)
        await bouton.wait_for()
        captures.append(await _capture(page, "3-connecte"))

        async with page.expect_download() as attente:
            await bouton.click()
        telechargement = await attente.value
        assert telechargement.suggested_filename.endswith(".pdf")
        await telechargement.save_as(destination)
        captures.append(await _capture(page, "4-apres-telechargement"))
        await context.close()
    return captures
