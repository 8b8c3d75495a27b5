"""Anchored répertoire: the checkpoint a bundle's proofs lead to is RFC 3161-timestamped when the bundle
is made (and hourly), served over HTTP (the list, the one covering a size), carried by the bundle and
checked by `signif verify` and by `openssl ts -verify`: its instant comes after every event covered."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

from services.coffre.journal.taches import horodater_checkpoint
from shared.clock import TestClock
from shared.evidence import format as fmt
from shared.evidence.verify import verify_bundle
from shared.timestamps.client import EmbeddedTimestampClient
from shared.timestamps.tsa import TimeStampAuthority
from tests.services.coffre.conftest import NOW, CoffreEnTest, CoffreFactory
from tests.services.coffre.reception.test_lettre_simple import _remplacer


def _horloge(t: CoffreEnTest) -> TestClock:
    horloge = t.runtime.clock
    assert isinstance(horloge, TestClock)
    return horloge


async def _openssl(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "openssl", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    sortie, _ = await process.communicate()
    return process.returncode or 0, sortie.decode(errors="replace")


async def test_lot_porte_le_checkpoint_horodate(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str, tmp_path: Path
) -> None:
    async with coffre_factory(database_url=database_url) as t:
        acte_id = (await t.deposer(pdf_signe)).json()["id"]
        vide = await t.client.get("/coffre/v1/journal/horodatages/couvrant", params={"taille": 1})
        assert vide.status_code == 404
        assert vide.json()["code"] == "introuvable"
        # The hourly job timestamps the head too.
        _horloge(t).set(NOW + timedelta(minutes=10))
        async with t.runtime.db.transaction() as session:
            horaire = await horodater_checkpoint(session, t.coffre, now=NOW + timedelta(minutes=10))
        _horloge(t).set(NOW + timedelta(hours=1))
        bundle = (await t.client.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=t.jeton())).content
        liste = (await t.client.get("/coffre/v1/journal/horodatages")).json()["elements"]
        couvrant = (
            await t.client.get("/coffre/v1/journal/horodatages/couvrant", params={"taille": horaire.taille})
        ).json()

    rapport = verify_bundle(bundle)
    assert rapport.ok, "\n".join(str(c) for c in rapport.checks)
    ancrage = [c for c in rapport.checks if c.piece == fmt.CHECKPOINT_DERNIER and "horodaté le" in c.message]
    assert len(ancrage) == 1
    assert any(c.piece == "horodatages/checkpoint.tsr" and c.ok for c in rapport.checks)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        note = archive.read(fmt.CHECKPOINT_DERNIER)
        meta = json.loads(archive.read("horodatages/checkpoint.json"))
        archive.extractall(tmp_path)
    assert meta == {"algorithme": "sha256", "objet": fmt.CHECKPOINT_DERNIER}
    # Nothing was appended since the hourly checkpoint: the bundle carries that very note and token.
    assert [h["taille"] for h in liste] == [horaire.taille]
    assert liste[0]["checkpoint_sha256"] == hashlib.sha256(note).hexdigest()
    assert couvrant["checkpoint"] == horaire.checkpoint
    assert base64.b64decode(couvrant["jeton"]) == horaire.jeton

    # Checkable by hand: openssl over the checkpoint file, with the bundled TSA chain.
    code, sortie = await _openssl(
        "ts", "-verify", "-data", str(tmp_path / fmt.CHECKPOINT_DERNIER),
        "-in", str(tmp_path / "horodatages/checkpoint.tsr"),
        "-CAfile", str(tmp_path / fmt.TSA_RACINE), "-untrusted", str(tmp_path / fmt.TSA_CERT),
    )  # fmt: skip
    assert code == 0, sortie
    assert "Verification: OK" in sortie


async def test_horodatage_anterieur_a_un_evenement_refuse(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    """A checkpoint dated (by the TSA) before an event it covers is impossible for an honest log: a
    token over the same note from the same TSA whose clock lags two hours is refused by `signif verify`,
    even with the manifest and the sums made to match."""
    async with coffre_factory(database_url=database_url) as t:
        acte_id = (await t.deposer(pdf_signe)).json()["id"]
        bundle = (await t.client.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=t.jeton())).content
        horodatage = t.coffre.horodatage
        assert isinstance(horodatage, EmbeddedTimestampClient)
        en_retard = EmbeddedTimestampClient(
            TimeStampAuthority(horodatage.authority.credentials, clock=lambda: NOW - timedelta(hours=2))
        )
        with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
            note = archive.read(fmt.CHECKPOINT_DERNIER)
        jeton = await en_retard.timestamp(hashlib.sha256(note).digest())
    assert verify_bundle(bundle).ok
    rapport = verify_bundle(_remplacer_fichier(bundle, "horodatages/checkpoint.tsr", jeton.response))
    assert not rapport.ok
    assert rapport.failure is not None
    assert "postérieur à l'horodatage du checkpoint" in rapport.failure.message


def _remplacer_fichier(bundle: bytes, chemin: str, donnees: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(bundle)) as source:
        fichiers = {n: source.read(n) for n in source.namelist()}
    return _remplacer(bundle, chemin, fichiers[chemin], donnees)
