"""Anchored registry log: its checkpoints RFC 3161-timestamped every hour (a scheduled job) and when a
bundle is made, served over HTTP (the list, the one covering a size), carried by the registre bundle
and checked by `signif verify` and by `openssl ts -verify`: its instant comes after every leaf."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from services.consent.journal import horodatage
from services.consent.models import JOB_TABLES, JournalHorodatage
from services.consent.registre import Registre
from shared.evidence import format as fmt
from shared.evidence.verify import verify_bundle
from shared.timestamps.client import EmbeddedTimestampClient
from shared.timestamps.tsa import TimeStampAuthority
from tests.services.consent.conftest import Consent, activer
from tests.shared.evidence.helpers import forge

URL = "/consent/v1/autorite/preuves"
HORODATAGES = "/consent/v1/journal/horodatages"
PROCEDURE = {"juridiction": "TJ Paris", "numero": "RG 26/04321"}


async def _openssl(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "openssl", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    sortie, _ = await process.communicate()
    return process.returncode or 0, sortie.decode(errors="replace")


def _instant(valeur: str) -> datetime:
    return datetime.fromisoformat(valeur.replace("Z", "+00:00"))


async def _exporter(env: Consent, declaration_id: str) -> bytes:
    response = await env.client.post(
        URL,
        json={"procedure": PROCEDURE, "declaration_id": declaration_id},
        headers=env.bearer("autorite_judiciaire"),
    )
    assert response.status_code == 200, response.text
    return response.content


async def test_horodatage_horaire_puis_lot_ancre(consent_db: Consent, tmp_path: Path) -> None:
    env = consent_db
    declaration = await activer(env)
    vide = await env.client.get(f"{HORODATAGES}/couvrant", params={"taille": 1})
    assert vide.status_code == 404
    assert vide.json()["code"] == "introuvable"
    assert (await env.client.get(HORODATAGES)).json() == {"elements": []}

    # The hourly job was scheduled at start; when its slot comes, it timestamps the log's head.
    async with env.runtime.db.transaction() as session:
        prevus = (
            await session.scalars(
                select(JOB_TABLES.jobs.c.run_at).where(JOB_TABLES.jobs.c.kind == horodatage.KIND)
            )
        ).all()
    assert len(prevus) == 1
    await env.horloge("2026-03-03T09:00:00Z")
    runner = env.runtime.runner
    assert runner is not None
    await runner.run_due()
    liste = (await env.client.get(HORODATAGES)).json()["elements"]
    assert len(liste) == 1
    horaire = liste[0]
    assert _instant(horaire["cree_le"]) == datetime(2026, 3, 3, 9, tzinfo=UTC)
    couvrant = (await env.client.get(f"{HORODATAGES}/couvrant", params={"taille": horaire["taille"]})).json()
    assert hashlib.sha256(couvrant["checkpoint"].encode()).hexdigest() == horaire["checkpoint_sha256"]
    assert horaire["url"] == f"{HORODATAGES}/couvrant?taille={horaire['taille']}"
    # The next slot is scheduled once, not doubled.
    async with env.runtime.db.transaction() as session:
        suivants = (
            await session.scalars(
                select(JOB_TABLES.jobs.c.run_at).where(
                    JOB_TABLES.jobs.c.kind == horodatage.KIND, JOB_TABLES.jobs.c.run_at > prevus[0]
                )
            )
        ).all()
    assert len(suivants) == 1

    # A bundle made later carries the checkpoint its proofs lead to (covering the export leaf),
    # timestamped then, and kept: it is served afterwards.
    await env.horloge("2026-03-03T09:20:00Z")
    bundle = await _exporter(env, declaration.id)
    rapport = verify_bundle(bundle)
    assert rapport.ok, "\n".join(str(c) for c in rapport.checks)
    ancrage = [c for c in rapport.checks if c.piece == fmt.CHECKPOINT_DERNIER and "horodaté le" in c.message]
    assert len(ancrage) == 1, [str(c) for c in rapport.checks]
    assert "2026-03-03T09:20:00Z" in ancrage[0].message
    assert any(c.piece == "horodatages/checkpoint.tsr" and c.ok for c in rapport.checks)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        note = archive.read(fmt.CHECKPOINT_DERNIER)
        meta = json.loads(archive.read("horodatages/checkpoint.json"))
        archive.extractall(tmp_path)
    assert meta == {"algorithme": "sha256", "objet": fmt.CHECKPOINT_DERNIER}
    liste = (await env.client.get(HORODATAGES)).json()["elements"]
    assert len(liste) == 2
    assert liste[1]["checkpoint_sha256"] == hashlib.sha256(note).hexdigest()
    dernier = (await env.client.get(f"{HORODATAGES}/couvrant", params={"taille": liste[1]["taille"]})).json()
    assert dernier["checkpoint"].encode() == note
    assert base64.b64decode(dernier["jeton"]) == (tmp_path / "horodatages/checkpoint.tsr").read_bytes()

    # Checkable by hand: openssl over the checkpoint file, with the bundled TSA chain.
    code, sortie = await _openssl(
        "ts", "-verify", "-data", str(tmp_path / fmt.CHECKPOINT_DERNIER),
        "-in", str(tmp_path / "horodatages/checkpoint.tsr"),
        "-CAfile", str(tmp_path / fmt.TSA_RACINE), "-untrusted", str(tmp_path / fmt.TSA_CERT),
    )  # fmt: skip
    assert code == 0, sortie
    assert "Verification: OK" in sortie

    # A second export of an unchanged log reuses nothing stale: the log grew (the export leaf).
    await env.horloge("2026-03-03T09:30:00Z")
    assert verify_bundle(await _exporter(env, declaration.id)).ok
    assert len((await env.client.get(HORODATAGES)).json()["elements"]) == 3


async def test_horodatage_anterieur_a_une_feuille_refuse(consent_db: Consent) -> None:
    """A registry checkpoint dated (by the TSA) before a leaf it covers is impossible for an honest
    log: a token over the same note from the same TSA whose clock lags a day is refused by
    `signif verify`, even with the manifest and the sums made to match."""
    env = consent_db
    declaration = await activer(env)
    await env.horloge("2026-03-04T09:00:00Z")
    bundle = await _exporter(env, declaration.id)
    assert verify_bundle(bundle).ok
    client = registre_of_env(env).horodatage
    assert isinstance(client, EmbeddedTimestampClient)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        note = archive.read(fmt.CHECKPOINT_DERNIER)

    async def jeton_a(heure: datetime) -> bytes:
        tsa = EmbeddedTimestampClient(TimeStampAuthority(client.authority.credentials, clock=lambda: heure))
        return (await tsa.timestamp(hashlib.sha256(note).digest())).response

    # The export leaf is at 09:00:00; a token in the same second (a TSA's genTime is often truncated
    # to the second) is accepted, one two seconds earlier or a day earlier is not.
    export = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    meme_seconde = forge(
        bundle, {"horodatages/checkpoint.tsr": await jeton_a(export - timedelta(seconds=0.5))}
    )
    assert verify_bundle(meme_seconde).ok
    for avance in (timedelta(seconds=2), timedelta(days=1)):
        rapport = verify_bundle(forge(bundle, {"horodatages/checkpoint.tsr": await jeton_a(export - avance)}))
        assert not rapport.ok
        assert rapport.failure is not None
        assert "postérieur à l'horodatage du checkpoint" in rapport.failure.message


async def test_job_horaire_sur_les_deux_moteurs(consent_db: Consent) -> None:
    """The job's own function, directly: the row holds the note, its size and a token over it."""
    env = consent_db
    await activer(env)
    registre = registre_of_env(env)
    maintenant = env.runtime.clock.now() + timedelta(minutes=5)
    async with env.runtime.db.transaction() as session:
        ligne = await horodatage.horodater(session, registre, now=maintenant)
    async with env.runtime.db.transaction() as session:
        lue = (await session.scalars(select(JournalHorodatage))).one()
    assert lue.checkpoint == ligne.checkpoint
    assert lue.taille == int(lue.checkpoint.splitlines()[1])
    assert lue.taille >= 1
    assert lue.cree_le == maintenant


def registre_of_env(env: Consent) -> Registre:
    registre = env.state.registre
    assert isinstance(registre, Registre)
    return registre
