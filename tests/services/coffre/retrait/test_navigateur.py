"""The retrieval pages in a real headless Chromium: sign-in → code → "Télécharger l'acte", with
screenshots (`shared.testing.browser.artifacts_dir()`) and axe-core on each step (no serious or
critical violation). The coffre, the real consent and the real notify run together under uvicorn on
127.0.0.1 in a thread (the embedded dispatcher) and call each other over HTTP; the sign-in code is the
one consent has notify e-mail to a real SMTP server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from services.coffre.app import create_app
from services.coffre.settings import CoffreSettings
from services.consent.app import create_app as consent_app
from services.notify.app import create_app as notify_app
from shared.clock import TestClock
from shared.testing.apps import commissaire_claims, issuer_for, migrate
from shared.testing.browser import chromium, port_libre, servir, verifier_page_largeurs
from shared.testing.databases import sqlite_url
from shared.testing.pki import ThrowawayPki
from shared.testing.smtp import SmtpServer, smtp_server
from signif.embedded import EmbeddedApp
from tests.services.coffre.conftest import NOW, metadonnees, multipart
from tests.services.coffre.retrait.outils import PERSONNE_PARIS
from tests.services.coffre.voisins import Modele, reglages
from tests.services.consent.conftest import NotifyReel

pytestmark = pytest.mark.browser


async def test_retrait_dans_chromium(
    tmp_path: Path, depot_pki: ThrowawayPki, pdf_signe: bytes, registre_modele: Modele
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
    service = {
        "Authorization": "Bearer " + issuer.token(role="service", sub="service:notify", audience="coffre")
    }
    async with smtp_server() as smtp:
        # The three services on one port, calling each other over HTTP on it, on one clock.
        clock = TestClock(NOW)
        pour_consent, pour_notify = reglages(tmp_path, smtp, public_url=base)
        deploiement = EmbeddedApp(
            {
                "consent": consent_app(pour_consent, clock=clock),
                "coffre": create_app(settings, clock=clock),
                "notify": notify_app(pour_notify, clock=clock),
            }
        )
        await _parcours(deploiement, port, smtp, commissaire, service, pdf_signe, tmp_path)


async def _parcours(
    deploiement: EmbeddedApp,
    port: int,
    smtp: SmtpServer,
    commissaire: dict[str, str],
    service: dict[str, str],
    pdf_signe: bytes,
    tmp_path: Path,
) -> None:
    base = f"http://127.0.0.1:{port}"
    with servir(deploiement, port):
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            depot = await http.post(
                "/coffre/v1/actes", headers=commissaire, **multipart(metadonnees(), pdf_signe)
            )
            assert depot.status_code == 201, depot.text
            acte_id = depot.json()["id"]
            lien = await http.post(f"/coffre/v1/interne/actes/{acte_id}/lien", headers=service)
            url = lien.json()["url"]
            assert url.startswith(f"{base}/coffre/retrait/")

            async with chromium() as browser:
                context = await browser.new_context(accept_downloads=True, locale="fr-FR")
                page = await context.new_page()
                reponse = await page.goto(url)
                assert reponse is not None
                assert reponse.status == 200
                assert await page.title() == "Un acte vous a été signifié — Signif"
                await verifier_page_largeurs(page, "coffre-retrait-1-accueil")
                # Keyboard focus order: skip link, the home link, e-mail, password, submit.
                ordre = []
                for _ in range(5):
                    await page.keyboard.press("Tab")
                    ordre.append(
                        await page.evaluate(
                            "document.activeElement.id || document.activeElement.className"
                            " || document.activeElement.tagName"
                        )
                    )
                assert ordre == ["evitement", "A", "email", "mot_de_passe", "BUTTON"]

                await page.get_by_label("Adresse électronique").fill(PERSONNE_PARIS.email)
                await page.get_by_label("Mot de passe").fill(PERSONNE_PARIS.mot_de_passe)
                await page.get_by_role("button", name="Recevoir un code de connexion").click()
                await page.get_by_label("Code à usage unique (8 chiffres)").wait_for()
                await verifier_page_largeurs(page, "coffre-retrait-2-code")

                code = NotifyReel(smtp).dernier_code(PERSONNE_PARIS.email)  # e-mailed by consent
                await page.get_by_label("Code à usage unique (8 chiffres)").fill(code)
                await page.get_by_role("button", name="Valider le code").click()
                bouton = page.get_by_role("button", name="Télécharger l'acte", exact=True)
                await bouton.wait_for()
                await verifier_page_largeurs(page, "coffre-retrait-3-connecte")

                # Nothing recorded yet: only the download counts.
                detail = (await http.get(f"/coffre/v1/actes/{acte_id}", headers=commissaire)).json()
                assert detail["pris_connaissance_le"] is None

                async with page.expect_download() as attente:
                    await bouton.click()
                telechargement = await attente.value
                chemin = tmp_path / "acte.pdf"
                await telechargement.save_as(chemin)
                assert chemin.read_bytes() == pdf_signe
                await context.close()

            detail = (await http.get(f"/coffre/v1/actes/{acte_id}", headers=commissaire)).json()
            assert detail["statut"] == "pris_connaissance"
            assert detail["pris_connaissance_le"] is not None
