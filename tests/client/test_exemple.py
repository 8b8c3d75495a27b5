"""`examples/office/integration.py`, the example office integration, run as a program against `signif
serve` (job runner in process, as `make run`): it subscribes its own webhook receiver, deposits, gets
the `acte.envoye` webhook with valid v1 and v1a signatures, downloads the evidence bundle and verifies
it offline."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

from shared.testing.pdfs import acte_pdfa
from signif.demo import Demo
from tests.e2e.deploiement import deploiement
from tests.e2e.test_histoire import DEBUT

pytestmark = pytest.mark.e2e

EXEMPLE = Path(__file__).resolve().parents[2] / "examples" / "office" / "integration.py"


async def test_the_example_office_integration_runs(tmp_path: Path) -> None:
    async with deploiement(tmp_path, maintenant=DEBUT, taches=True) as dep:
        jeton = (await dep.signif("token", "issue", "--preset", "commissaire-paris")).strip()
        demo = Demo(dep.base, dep.var, tmp_path / "demo", sortie=lambda _texte: None)
        try:
            await asyncio.to_thread(demo.dossier.mkdir)
            declaration_id = await asyncio.to_thread(demo.declarer)
        finally:
            demo.http.close()
        brut, signe = tmp_path / "acte.pdf", tmp_path / "acte-signe.pdf"
        await asyncio.to_thread(brut.write_bytes, acte_pdfa(titre="Signification (exemple)"))
        await dep.signif("dev", "sign", "--in", str(brut), "--out", str(signe))
        async with httpx.AsyncClient(base_url=dep.base) as http:
            horloge = (await http.get("/_test/horloge")).json()["maintenant"]
        sortie = tmp_path / "sortie"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(EXEMPLE),
            "--url", dep.base,
            "--jeton", jeton,
            "--acte", str(signe),
            "--declaration", declaration_id,
            "--dossier", str(sortie),
            "--horloge", horloge,
            env=dep.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=180)
    texte = out.decode()
    assert proc.returncode == 0, texte
    assert "3. Webhook acte.envoye vérifié" in texte
    assert "acte.envoye" in texte.split("3. Webhook")[1].split("4.")[0]
    assert "pas de webhook à temps" not in texte  # the webhook came, verified, without the fallback
    assert "webhook refusé" not in texte
    assert "4. Statut : envoye" in texte
    lots = list(sortie.glob("preuves-*.zip"))
    assert len(lots) == 1
    assert f"{lots[0]} : vérifié" in texte
