"""The acte's evidence bundle, from a full flow: deposit (sent at once), avis de mise à disposition
from notify, prise de connaissance through the reception service, mode fixed at local midnight by
the end-of-day job; the downloaded ZIP passes the offline verifier and `openssl ts -verify`, a
flipped byte in the acte fails naming it; access is scoped to the office or a named procedure."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.coffre.reception.prise import telecharger
from shared.clock import TestClock
from shared.evidence import format as fmt
from shared.evidence.verify import verify_bundle
from tests.services.coffre.conftest import NOW, CoffreEnTest, CoffreFactory
from tests.services.coffre.voisins import DECL

MINUIT_PARIS = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)


def _regler(t: CoffreEnTest, instant: datetime) -> None:
    horloge = t.runtime.clock
    assert isinstance(horloge, TestClock)
    horloge.set(instant)


async def _avis_envoye(t: CoffreEnTest, acte_id: str, envoye_le: str) -> None:
    avis = {"statut": "envoye", "canal": "email", "envoye_le": envoye_le,
            "message_id": f"<{acte_id}@notify>", "detail": None}  # fmt: skip
    service = t.jeton(role="service", sub="service:notify")
    url = f"/coffre/v1/interne/actes/{acte_id}/avis-mise-a-disposition"
    assert (await t.client.post(url, headers=service, json=avis)).status_code == 200


async def _signification_complete(t: CoffreEnTest, pdf: bytes, annexe: bytes) -> str:
    depot = await t.deposer(pdf, annexes=(("Pièce n°1.pdf", annexe),))
    assert depot.status_code == 201, depot.text
    acte_id: str = depot.json()["id"]
    assert depot.json()["statut"] == "envoye"
    await _avis_envoye(t, acte_id, "2026-03-02T09:00:05Z")
    _regler(t, NOW + timedelta(hours=3))
    retrait = await telecharger(t.coffre, acte_id, declarations=[DECL["paris"]], personne="p-1")
    assert retrait.premiere
    assert b"".join([chunk async for chunk in retrait.contenu]) == pdf
    _regler(t, MINUIT_PARIS + timedelta(seconds=1))
    assert t.runtime.runner is not None
    assert await t.runtime.runner.run_due() >= 1
    detail = (await t.client.get(f"/coffre/v1/actes/{acte_id}", headers=t.jeton())).json()
    assert detail["mode"] == "a_personne"
    return acte_id


def _avec_octet_modifie(bundle: bytes, chemin: str) -> bytes:
    sortie = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(sortie, "w") as cible:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == chemin:
                data = data[:100] + bytes([data[100] ^ 0x01]) + data[101:]
            cible.writestr(info, data)
    return sortie.getvalue()


def _feuilles(archive: zipfile.ZipFile) -> list[dict[str, Any]]:
    return [json.loads(base64.b64decode(f["donnees"])) for f in json.loads(archive.read(fmt.FEUILLES))]


async def _openssl_ts_verify(racine: Path, objet: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "openssl", "ts", "-verify", "-data", str(racine / objet),
        "-in", str(racine / "horodatages/depot.tsr"), "-CAfile", str(racine / fmt.TSA_RACINE),
        "-untrusted", str(racine / fmt.TSA_CERT),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    sortie, _ = await process.communicate()
    return process.returncode or 0, sortie.decode()


async def test_dossier_de_preuves_verifiable(
    coffre_factory: CoffreFactory, pdf_signe: bytes, pdf_signe_bis: bytes, tmp_path: Path
) -> None:
    async with coffre_factory() as t:
        acte_id = await _signification_complete(t, pdf_signe, pdf_signe_bis)
        # The log moves on after a published checkpoint: the bundle proves that growth.
        assert (await t.client.get("/coffre/v1/journal/checkpoint")).status_code == 200
        _regler(t, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
        autre = await t.deposer(pdf_signe_bis)
        assert autre.status_code == 201, autre.text
        await _avis_envoye(t, autre.json()["id"], "2026-03-03T09:00:05Z")
        response = await t.client.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=t.jeton())
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
        assert f'filename="preuves-{acte_id}.zip"' in response.headers["content-disposition"]
        bundle = response.content

    rapport = verify_bundle(bundle)
    assert rapport.ok, "\n".join(str(c) for c in rapport.checks)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        noms = set(archive.namelist())
        assert archive.read(fmt.ACTE) == pdf_signe
        assert archive.read("acte/annexes/1-Piece-n1.pdf") == pdf_signe_bis
        attendus = (fmt.RAPPORT, fmt.AVIS_MAD, fmt.AVIS_RECEPTION, fmt.AVIS_RECEPTION_PDF,
                    fmt.CERTIFICAT, fmt.JWKS, fmt.TSA_CERT, fmt.TSA_RACINE, *fmt.JOURNAL)  # fmt: skip
        assert set(attendus) <= noms
        assert fmt.LETTRE_SIMPLE not in noms  # à personne: no lettre simple
        assert {"horodatages/depot.tsr", "horodatages/envoi.tsr", "horodatages/avis-reception.tsr"} <= noms
        feuilles = _feuilles(archive)
        indexes = [f["index"] for f in json.loads(archive.read(fmt.FEUILLES))]
        recit = json.loads(archive.read(fmt.RECIT))
        coherence = json.loads(archive.read(fmt.COHERENCE))
        archive.extractall(tmp_path)
    assert sorted(f["type"] for f in feuilles) == sorted(
        ["depot", "envoi", "avis_mise_a_disposition", "prise_connaissance", "mode", "document", "document"]
    )
    assert {f["acte_id"] for f in feuilles} == {acte_id}
    assert recit["mode"] == "a_personne"
    assert recit["pris_connaissance_le"] == "2026-03-02T12:00:00Z"
    # the first checkpoint covering every leaf of the acte (the documents issued last, for the bundle)
    assert coherence["ancienne"] == 1 + max(indexes)
    assert coherence["nouvelle"] >= coherence["ancienne"]

    code, sortie = await _openssl_ts_verify(tmp_path, fmt.ACTE)
    assert code == 0, sortie
    assert "Verification: OK" in sortie

    altere = verify_bundle(_avec_octet_modifie(bundle, fmt.ACTE))
    assert not altere.ok
    assert altere.failure is not None
    assert altere.failure.piece == fmt.ACTE


async def test_acces_office_et_autorite(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        depot = await t.deposer(pdf_signe)
        acte_id = depot.json()["id"]
        url = f"/coffre/v1/actes/{acte_id}/preuves"
        autre = await t.client.get(url, headers=t.commissaire(office_id="office-paris-2"))
        assert autre.status_code == 404
        assert autre.json()["code"] == "acte-introuvable"
        inconnu = await t.client.get("/coffre/v1/actes/inconnu/preuves", headers=t.jeton())
        assert inconnu.status_code == 404

        autorite = t.jeton(role="autorite_judiciaire", sub="juge-1", juridiction="TJ Paris")
        sans_procedure = await t.client.get(url, headers=autorite, params={"juridiction": "TJ Paris"})
        assert sans_procedure.status_code == 422
        assert sans_procedure.json()["code"] == "procedure-requise"
        operateur = await t.client.get(url, headers=t.jeton(role="operateur", sub="op-1"))
        assert operateur.status_code == 403

        params = {"juridiction": "TJ Paris", "numero": "RG 26/00123"}
        response = await t.client.get(url, headers=autorite, params=params)
        assert response.status_code == 200, response.text
    rapport = verify_bundle(response.content)
    assert rapport.ok, "\n".join(str(c) for c in rapport.checks)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        feuilles = _feuilles(archive)
    assert [f["type"] for f in feuilles] == ["depot", "envoi", "acces_preuves_autorite"]
    acces = feuilles[-1]
    assert acces["juridiction"] == "TJ Paris"
    assert "RG 26/00123" not in json.dumps(acces)  # the procedure number is logged hashed
    assert len(acces["procedure_sha256"]) == 64


async def test_a_domicile_avec_lettre_simple(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    async with coffre_factory(database_url=database_url) as t:
        acte_id = (await t.deposer(pdf_signe)).json()["id"]
        await _avis_envoye(t, acte_id, "2026-03-02T09:00:05Z")
        _regler(t, MINUIT_PARIS)
        assert t.runtime.runner is not None
        assert await t.runtime.runner.run_due() >= 1
        _regler(t, datetime(2026, 3, 3, 8, 30, tzinfo=UTC))
        envoi = await t.client.post(
            f"/coffre/v1/actes/{acte_id}/lettre-simple/envoi",
            headers=t.jeton(),
            json={"envoyee_le": "2026-03-03"},
        )
        assert envoi.status_code == 200, envoi.text
        response = await t.client.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=t.jeton())
        assert response.status_code == 200, response.text
    rapport = verify_bundle(response.content)
    assert rapport.ok, "\n".join(str(c) for c in rapport.checks)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        noms = set(archive.namelist())
        lettre = json.loads(archive.read(fmt.LETTRE_SIMPLE))
        recit = json.loads(archive.read(fmt.RECIT))
        types = [f["type"] for f in _feuilles(archive)]
    assert fmt.CERTIFICAT in noms
    assert fmt.AVIS_RECEPTION not in noms
    assert {k: lettre[k] for k in ("acte_id", "due_le", "envoyee_le")} == {
        "acte_id": acte_id,
        "due_le": "2026-03-03",
        "envoyee_le": "2026-03-03",
    }
    assert [(e["envoyee_le"], e["corrige"], e["en_vigueur"]) for e in lettre["envois"]] == [
        ("2026-03-03", None, True)
    ]
    assert recit["mode"] == "a_domicile"
    assert recit["pris_connaissance_le"] is None
    assert recit["lettre_simple"] == {"due_le": "2026-03-03", "envoyee_le": "2026-03-03"}
    # the certificat and the lettre simple, issued when the bundle is made (first time asked)
    assert types == [
        "depot",
        "envoi",
        "avis_mise_a_disposition",
        "mode",
        "lettre_simple",
        "document",
        "document",
    ]


async def test_sans_jeton(coffre_factory: CoffreFactory) -> None:
    async with coffre_factory() as t:
        response = await t.client.get("/coffre/v1/actes/inconnu/preuves")
        assert response.status_code == 401
