"""The declaration through consent's web form in real headless Chromium (Debian `chromium` through
Playwright), as a destinataire would make it: the legal mentions shown in full, the unticked box
ticked by hand, the e-mailed code, two proofs uploaded, the sealed récépissé. A screenshot of each
page goes to `artifacts_dir()` (kept as test artefacts)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Page

from shared.testing.browser import artifacts_dir, chromium

PREFIXE = "e2e-declaration"


@dataclass(frozen=True)
class Declarant:
    nom: str
    prenoms: str
    date_naissance: str
    lieu_naissance: str
    adresse: str
    code_postal: str
    commune: str
    commune_insee: str
    email: str
    mot_de_passe: str


@dataclass(frozen=True)
class DeclarationFaite:
    declaration_id: str
    captures: list[Path]


async def _capture(page: Page, nom: str) -> Path:
    chemin = artifacts_dir() / f"{PREFIXE}-{nom}.png"
    await page.screenshot(path=str(chemin), full_page=True)
    return chemin


async def declarer(
    base: str, qui: Declarant, code: Callable[[], Awaitable[str]], piece: Path
) -> DeclarationFaite:
    """Fill and send the form, confirm the address with the e-mailed code, upload an identity and a
    domicile proof (`piece`), submit; return the declaration id read from the personal space link."""
    captures: list[Path] = []
    async with chromium() as browser:
        context = await browser.new_context(locale="fr-FR")
        page = await context.new_page()
        reponse = await page.goto(f"{base}/consent/declaration")
        assert reponse is not None
        assert reponse.status == 200
        case = page.get_by_label("Je consens expressément", exact=False)
        assert not await case.is_checked()  # never pre-ticked
        assert "INSEE" not in await page.content()  # nobody knows theirs: the platform derives it
        await page.get_by_label("une personne physique", exact=False).check()
        for libelle, valeur in (
            ("Nom", qui.nom),
            ("Prénoms", qui.prenoms),
            ("Date de naissance", qui.date_naissance),
            ("Lieu de naissance", qui.lieu_naissance),
            ("Adresse (numéro et voie)", qui.adresse),
            ("Code postal", qui.code_postal),
        ):
            await page.get_by_label(libelle, exact=True).fill(valeur)
        # The postal code, then the commune chosen from that code's (a server round trip, no script).
        await page.get_by_role("button", name="Afficher les communes de ce code postal").click()
        commune = page.get_by_label("Commune", exact=True)
        await commune.wait_for()
        await commune.select_option(label=qui.commune)
        assert await commune.input_value() == qui.commune_insee
        assert await page.get_by_label("Nom", exact=True).input_value() == qui.nom  # kept across the trip
        for libelle, valeur in (
            ("Adresse électronique", qui.email),
            ("Mot de passe", qui.mot_de_passe),
        ):
            await page.get_by_label(libelle, exact=True).fill(valeur)
        await page.get_by_label("Tous les actes", exact=True).check()
        await case.check()
        captures.append(await _capture(page, "1-formulaire"))

        await page.get_by_role("button", name="Envoyer ma déclaration").click()
        champ_code = page.get_by_label("Code reçu par courriel")
        await champ_code.wait_for()
        captures.append(await _capture(page, "2-code"))
        await champ_code.fill(await code())
        await page.get_by_role("button", name="Confirmer mon adresse").click()

        for type_piece in ("carte_identite", "justificatif_domicile"):
            await page.get_by_label("Type de pièce").select_option(type_piece)
            await page.get_by_label("Fichier").set_input_files(str(piece))
            await page.get_by_role("button", name="Déposer la pièce").click()
            await page.get_by_label("Type de pièce").wait_for()
        captures.append(await _capture(page, "3-pieces"))

        await page.get_by_role("button", name="Terminer et envoyer ma déclaration").click()
        await page.get_by_role("heading", name="Récépissé scellé").wait_for()
        captures.append(await _capture(page, "4-recepisse"))
        lien = await page.get_by_role("link", name="Accéder à mon espace personnel").get_attribute("href")
        assert lien is not None
        assert lien.startswith("/consent/espace/"), lien
        await context.close()
    return DeclarationFaite(lien.removeprefix("/consent/espace/"), captures)
