"""The certificat de signification states every formalité (CPC 663) with its date and hour in the
destinataire's legal time and in UTC and its répertoire entry; the sealed PDFs pass poppler's `pdfsig`
and `qpdf --check`, two validators independent of the code that made them."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.coffre.reception.prise import telecharger
from shared.clock import TestClock
from shared.testing.browser import artifacts_dir
from tests.services.coffre.conftest import NOW, CoffreEnTest, CoffreFactory, metadonnees
from tests.services.coffre.preuves.texte_pdf import texte_normalise
from tests.services.coffre.voisins import DECL

MINUIT_PARIS = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
MESSAGE_SHA256 = "5e" * 32


def _regler(t: CoffreEnTest, moment: datetime) -> None:
    horloge = t.runtime.clock
    assert isinstance(horloge, TestClock)
    horloge.set(moment)


async def _avis(t: CoffreEnTest, acte_id: str) -> int:
    """notify's report: the avis handed to the mail server at 10:00:05 in Paris."""
    corps = {"statut": "envoye", "canal": "email", "envoye_le": "2026-03-02T09:00:05Z",
             "message_id": f"<{acte_id}@notify>", "message_sha256": MESSAGE_SHA256,
             "adresse_masquee": "j••••••t@exemple.fr", "detail": None}  # fmt: skip
    service = t.jeton(role="service", sub="service:notify")
    r = await t.client.post(
        f"/coffre/v1/interne/actes/{acte_id}/avis-mise-a-disposition", headers=service, json=corps
    )
    assert r.status_code == 200, r.text
    index: int = r.json()["journal_index"]
    return index


async def _pdf(t: CoffreEnTest, chemin: str) -> bytes:
    r = await t.client.get(chemin, headers={**t.jeton(), "Accept": "application/pdf"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    return r.content


async def _outil(*commande: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *commande, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    sortie, _ = await process.communicate()
    return process.returncode or 0, sortie.decode(errors="replace")


async def valider_independamment(pdf: bytes, dossier: Path, nom: str) -> str:
    """`qpdf --check` finds no damage and `pdfsig` sees one intact seal over the whole file."""
    chemin = dossier / nom
    chemin.write_bytes(pdf)
    code, sortie = await _outil("qpdf", "--check", str(chemin))
    assert code == 0, sortie
    assert "No syntax or stream encoding errors found" in sortie
    code, sortie = await _outil("pdfsig", "-nocert", str(chemin))
    assert "Signature #1:" in sortie
    assert "Signature #2:" not in sortie
    assert "Signature Validation: Signature is Valid." in sortie, sortie
    assert "Total document signed" in sortie, sortie
    return sortie


async def rendre_png(pdf: bytes, dossier: Path, nom: str) -> list[str]:
    """The pages rendered by poppler (`pdftoppm -png`) into `test-artifacts/` to be looked at, and
    each page's text: a page holding only the closing line (« Certificat établi … ») fails."""
    chemin = dossier / f"{nom}.pdf"
    chemin.write_bytes(pdf)
    for ancienne in artifacts_dir().glob(f"{nom}-*.png"):
        ancienne.unlink()
    code, sortie = await _outil("pdftoppm", "-png", "-r", "80", str(chemin), str(artifacts_dir() / nom))
    assert code == 0, sortie
    code, sortie = await _outil("pdftotext", "-layout", str(chemin), "-")
    assert code == 0, sortie
    pages = sortie.split("\f")
    if not pages[-1].strip():
        pages.pop()
    for page in pages:
        lignes = [ligne.strip() for ligne in page.splitlines() if ligne.strip()]
        corps = [ligne for ligne in lignes if not ligne.startswith(("SIGNIF", "Document scellé", "Page "))]
        assert len(corps) > 3, (nom, lignes)
    return pages


async def test_certificat_a_domicile_toutes_les_formalites(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str, tmp_path: Path
) -> None:
    async with coffre_factory(database_url=database_url) as t:
        depot = await t.deposer(pdf_signe)
        assert depot.status_code == 201, depot.text
        acte_id = depot.json()["id"]
        index_avis = await _avis(t, acte_id)
        _regler(t, MINUIT_PARIS)
        assert t.runtime.runner is not None
        assert await t.runtime.runner.run_due() >= 1
        _regler(t, datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
        url = f"/coffre/v1/actes/{acte_id}/lettre-simple/envoi"
        premier = await t.client.post(url, headers=t.jeton(), json={"envoyee_le": "2026-03-04"})
        assert premier.status_code == 200
        motif = "Date du récépissé postal : 3 mars"
        correction = await t.client.post(
            url, headers=t.jeton(), json={"envoyee_le": "2026-03-03", "motif": motif}
        )
        assert correction.status_code == 200
        detail = (await t.client.get(f"/coffre/v1/actes/{acte_id}", headers=t.jeton())).json()
        pdf = await _pdf(t, f"/coffre/v1/actes/{acte_id}/certificat")
        numero = await t.voisins.numero("paris")
    (tmp_path / "certificat-a-domicile.pdf").write_bytes(pdf)
    await valider_independamment(pdf, tmp_path, "certificat.pdf")
    await rendre_png(pdf, tmp_path, "certificat-a-domicile")
    texte = texte_normalise(pdf)
    index = {e["type"]: e["journal_index"] for e in detail["evenements"]}
    attendus = [
        # the consent: declaration (by its registration number), its scope and dates, verified at the envoi
        f"(déclaration n° {numero}).",
        f"Déclaration n° {numero}, version 1",
        "Actes couverts : Tous les actes",
        "vérifié au registre à l'instant de l'envoi",
        # the envoi (664-1) with its timestamp
        "lundi 2 mars 2026 à 10 h 00",
        "soit 2026-03-02 09:00:00 UTC",
        "Horodatage RFC 3161 : ",
        f"répertoire n° {index['envoi']}",
        # the avis de mise à disposition: instant, channel, masked address, message hash
        "remis au serveur de messagerie le lundi 2 mars 2026 à 10 h 00 min 05 s",
        "par courrier électronique à l'adresse déclarée j••••••t@exemple.fr",
        MESSAGE_SHA256,
        f"répertoire n° {index_avis}",
        # the mode and why, when it was fixed
        "À domicile : aucune prise de connaissance le jour de la transmission",
        "acquis à la fin du jour de la transmission, le mardi 3 mars 2026 à 0 h 00",
        "décision enregistrée le mardi 3 mars 2026 à 0 h 00",
        f"répertoire n° {index['mode_fixe']}",
        # the lettre simple: due date, posting, correction with its reason
        "À envoyer le mardi 3 mars 2026 (premier jour ouvrable)",
        "Postée le mercredi 4 mars 2026",
        f"Correction de l'entrée n° {premier.json()['journal_index']} : postée le mardi 3 mars 2026",
        f"« {motif} »",
        f"répertoire n° {correction.json()['journal_index']}",
        # no derogation
        "Aucune : envoi dans les heures et jours légaux (art. 664)",
    ]
    manquants = [a for a in attendus if a not in texte]
    assert not manquants, (manquants, texte)
    assert numero.startswith("RC-")
    # The id the avis de réception and the bundle use appears once, as the registry's identifier.
    assert texte.count(DECL["paris"]) == 1
    assert f"identifiant au registre : {DECL['paris']}" in texte


async def test_certificat_a_personne_et_derogation(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str, tmp_path: Path
) -> None:
    derogation = {"ordonnance": "Ord. 26/0042", "juridiction": "TJ Paris", "date": "2026-02-27"}
    async with coffre_factory(database_url=database_url) as t:
        depot = await t.deposer(pdf_signe, metadonnees(derogation_664=derogation))
        assert depot.status_code == 201, depot.text
        acte_id = depot.json()["id"]
        await _avis(t, acte_id)
        _regler(t, NOW + timedelta(hours=3))
        retrait = await telecharger(t.coffre, acte_id, declarations=[DECL["paris"]], personne="p-1")
        assert b"".join([c async for c in retrait.contenu]) == pdf_signe
        _regler(t, MINUIT_PARIS + timedelta(seconds=1))
        assert t.runtime.runner is not None
        assert await t.runtime.runner.run_due() >= 1
        detail = (await t.client.get(f"/coffre/v1/actes/{acte_id}", headers=t.jeton())).json()
        certificat = await _pdf(t, f"/coffre/v1/actes/{acte_id}/certificat")
        avis = await _pdf(t, f"/coffre/v1/actes/{acte_id}/avis-de-reception")
    (tmp_path / "certificat-a-personne.pdf").write_bytes(certificat)
    (tmp_path / "avis-de-reception.pdf").write_bytes(avis)
    await valider_independamment(certificat, tmp_path, "certificat.pdf")
    await valider_independamment(avis, tmp_path, "avis.pdf")
    await rendre_png(certificat, tmp_path, "certificat-a-personne")
    assert len(await rendre_png(avis, tmp_path, "avis-de-reception")) == 1
    texte = texte_normalise(certificat)
    index = {e["type"]: e["journal_index"] for e in detail["evenements"]}
    attendus = [
        "Prise de connaissance, à personne (art. 663)",
        "lundi 2 mars 2026 à 13 h 00",
        f"répertoire n° {index['prise_connaissance']}",
        "À personne : le destinataire a pris connaissance de l'acte le jour de sa transmission",
        "établi par la prise de connaissance du jour même ; constaté à la fin du jour de la transmission",
        "Ordonnance Ord. 26/0042, TJ Paris, du 27 février 2026",
    ]
    manquants = [a for a in attendus if a not in texte]
    assert not manquants, (manquants, texte)
    assert "Lettre simple (art. 662-1" not in texte
    texte_avis = texte_normalise(avis)
    assert "Prise de connaissance par le destinataire lundi 2 mars 2026 à 13 h 00" in texte_avis
    # The declaration by the number the destinataire knows, beside the registry id the JWS carries.
    assert re.search(rf"n° RC-[0-9A-Z-]+ identifiant au registre : {DECL['paris']}", texte_avis), texte_avis
    assert re.search(
        rf"Entrée inscrivant la prise de connaissance n° {index['prise_connaissance']}\b", texte_avis
    )
