"""`signif demo` against the embedded deployment as a real process, which writes its e-mails as `.eml`
files (no SMTP host configured, as with `make run`)."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from tests.e2e.deploiement import SIGNIF, deploiement, port_libre
from tests.e2e.test_histoire import DEBUT

pytestmark = pytest.mark.e2e


async def test_signif_demo_tells_the_whole_story(tmp_path: Path) -> None:
    async with deploiement(tmp_path, maintenant=DEBUT) as dep:
        # Another port than 8000 and no SIGNIF_PUBLIC_URL: the services find each other (else the
        # deposit answers 503) and the e-mailed links (checked below) follow the port.
        assert not dep.base.endswith(":8000")
        assert "SIGNIF_PUBLIC_URL" not in dep.env
        dossier = tmp_path / "demo"
        sortie = await dep.signif("demo", "--url", dep.base, "--var", str(dep.var), "--dossier", str(dossier))
    etapes = re.findall(r"^(\d+)\. ", sortie, flags=re.MULTILINE)
    assert etapes == [str(n) for n in range(1, len(etapes) + 1)]
    assert len(etapes) >= 10, sortie
    assert "consentement : True" in sortie
    assert f"{dep.base}/coffre/retrait/" in sortie
    assert "mode : a_personne" in sortie
    # The certificat's mentions (CPC 663), printed as the PDF states them.
    mentions = sortie.split("mentions du certificat :", 1)[1]
    for formalite in (
        "Consentement du",
        "Envoi de l'acte",
        "Avis de mise à disposition",
        "Prise de connaissance, à",
        "Mode de signification",
        "Dérogation du juge",
    ):
        assert formalite in mentions, (formalite, mentions[:2000])
    assert "répertoire n°" in mentions
    # The à domicile path: the lettre simple's printed address leads to the space, without a link.
    assert "mode : a_domicile" in sortie
    assert f"adresse imprimée sur la lettre : {dep.base}/coffre/retrait\n" in sortie
    assert f"espace destinataire : {dep.base}/coffre/retrait " in sortie
    assert "Démo terminée" in sortie
    signe = await asyncio.to_thread((dossier / "acte-signe.pdf").read_bytes)
    assert await asyncio.to_thread((dossier / "acte-telecharge.pdf").read_bytes) == signe
    assert (dossier / "avis-de-reception.pdf").stat().st_size > 0
    signe_2 = await asyncio.to_thread((dossier / "acte-2-signe.pdf").read_bytes)
    assert await asyncio.to_thread((dossier / "acte-2-telecharge.pdf").read_bytes) == signe_2
    assert (dossier / "lettre-simple.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in (dep.var / "mail").glob("*.eml")) != []


async def test_signif_demo_says_when_the_deployment_is_not_running(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        SIGNIF,
        "demo",
        "--url",
        f"http://127.0.0.1:{port_libre()}",
        "--var",
        str(tmp_path / "var"),
        env={**os.environ, "SIGNIF_ENV": "development"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 1
    assert "injoignable" in out.decode()
    assert "make run" in out.decode()
