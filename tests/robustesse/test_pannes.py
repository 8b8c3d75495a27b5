"""Faults of the real components (issue 12, point 4), each with the real thing.

- PostgreSQL: the consent database refuses connections (`ALLOW_CONNECTIONS false`) and every backend
  serving it is terminated (`pg_terminate_backend`) — the server unreachable for the service. Requests
  answer 503 `indisponible` problem+json with `Retry-After`, `/readyz` says so, nothing is half
  written; once connections are allowed again the service recovers alone (no restart).
- PostgreSQL backends terminated every 250 ms while declarations are created: 201 or 503, and exactly
  one leaf per 201 (nothing half-written).
- The S3 endpoint (moto's server) stopped during a deposit: 503, no acte, `/readyz` 503; restarted on
  the same port, the service goes on without a restart.
- The local blob volume full (`test_blob_volume_full`): the process's file-size limit (RLIMIT_FSIZE)
  makes every blob write fail as a full volume does; the deposit answers 507 `stockage-plein`, and
  nothing is recorded (no acte, no leaf, no blob file).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from moto.server import ThreadedMotoServer

from shared.blobs.s3 import S3BlobStore
from shared.testing.databases import ADMIN_DSN
from shared.testing.s3 import S3Server
from tests.conftest import require_postgres
from tests.robustesse.support import Embarque, embarque, port_libre, verifier_probleme
from tests.services.consent.conftest import corps

pytestmark = pytest.mark.postgres


async def _couper(nom_base: str, *, coupee: bool) -> None:
    admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'ALTER DATABASE "{nom_base}" ALLOW_CONNECTIONS {"false" if coupee else "true"}')
        if coupee:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                nom_base,
            )
    finally:
        await admin.close()


async def _entrees(env: Embarque) -> int:
    reponse = await env.client.get("/consent/v1/journal/entrees")
    assert reponse.status_code == 200, reponse.text
    return len(reponse.json()["elements"])


async def test_postgres_unreachable_then_back(tmp_path: Path) -> None:
    await require_postgres()
    async with embarque("postgresql", tmp_path) as env:
        client = env.client
        assert (await client.post("/consent/v1/declarations", json=corps())).status_code == 201
        avant = await _entrees(env)
        nom_base = env.urls["consent"].rsplit("/", 1)[1]
        await _couper(nom_base, coupee=True)
        try:
            for _ in range(3):  # the pool's connections were terminated, new ones are refused
                lecture = await client.get("/consent/v1/journal/entrees")
                verifier_probleme(lecture, 503, "indisponible")
                assert lecture.headers["retry-after"] == "5"
                ecriture = await client.post("/consent/v1/declarations", json=corps())
                verifier_probleme(ecriture, 503, "indisponible")
            verifier_probleme(await client.get("/consent/readyz"), 503, "indisponible")
            # The other services, on their own databases, answer as before.
            assert (await client.get("/coffre/readyz")).status_code == 200
        finally:
            await _couper(nom_base, coupee=False)
        # Back without a restart: readiness, reads, and nothing of the refused declarations was written.
        assert (await client.get("/consent/readyz")).status_code == 200
        assert await _entrees(env) == avant
        assert (await client.post("/consent/v1/declarations", json=corps())).status_code == 201
        assert await _entrees(env) == avant + 1


@contextlib.contextmanager
def volume_plein(octets: int) -> Iterator[None]:
    """No file of this process may grow past `octets` (RLIMIT_FSIZE, SIGXFSZ ignored): every write
    beyond fails with EFBIG, as on a full volume (ENOSPC) — without root, a mount or a real disk."""
    avant = resource.getrlimit(resource.RLIMIT_FSIZE)
    signal_avant = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (octets, avant[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, avant)
        signal.signal(signal.SIGXFSZ, signal_avant)


def _depot(env: Embarque, document: bytes) -> tuple[dict[str, str], list[Any]]:
    meta = {
        "reference_dossier": "DOS-PLEIN",
        "nature": "signification_decision",
        "requerant": {"nom": "SCI Les Tilleuls"},
        "destinataire": {"declaration_id": "inconnue"},
    }
    fichiers = [
        ("metadonnees", (None, json.dumps(meta).encode(), "application/json")),
        ("document", ("acte.pdf", document, "application/pdf")),
    ]
    return env.entetes("commissaire", "coffre"), fichiers


async def test_blob_volume_full(tmp_path: Path) -> None:
    """The coffre's local blob volume full during a deposit: 507 `stockage-plein`, no acte, no leaf,
    no blob left behind; with room again, the same deposit goes past storage (to the consent check)."""
    await require_postgres()  # the databases elsewhere: only the blob volume is full
    async with embarque("postgresql", tmp_path) as env:
        document = b"%PDF-1.7\n" + secrets.token_bytes(400_000)
        entetes, fichiers = _depot(env, document)
        blobs = tmp_path / "blobs" / "coffre"
        with volume_plein(100_000):
            reponse = await env.client.post("/coffre/v1/actes", headers=entetes, files=fichiers)
        verifier_probleme(reponse, 507, "stockage-plein")
        actes = await env.client.get("/coffre/v1/actes", headers=entetes)
        assert actes.json()["elements"] == []
        assert (await env.client.get("/coffre/v1/journal/entrees")).json()["elements"] == []
        assert [f for f in blobs.rglob("*") if f.is_file()] == []
        apres = await env.client.post("/coffre/v1/actes", headers=entetes, files=fichiers)
        assert apres.status_code != 507
        assert 400 <= apres.status_code < 500, apres.text


async def test_s3_endpoint_down_during_a_deposit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The coffre's S3 endpoint (moto's server, a real HTTP endpoint) stopped: a deposit answers 503
    `indisponible`, no acte nor leaf is recorded, `/coffre/readyz` says so; the endpoint back on the
    same port, the same deposit goes past storage (to the consent check) without a restart."""
    await require_postgres()
    for nom in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(nom, "testing")
    port = port_libre()
    serveur = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    serveur.start()
    try:
        s3 = S3Server(endpoint_url=f"http://127.0.0.1:{port}")
        bucket = s3.new_bucket_name("signif-panne")
        await S3BlobStore(s3.settings(bucket)).ensure_bucket()
        blob_url = f"s3://{bucket}?endpoint={s3.endpoint_url}&region={s3.region}"
        async with embarque("postgresql", tmp_path, blob_url=blob_url) as env:
            entetes, fichiers = _depot(env, b"%PDF-1.7\n" + secrets.token_bytes(50_000))
            assert (await env.client.get("/coffre/readyz")).status_code == 200
            serveur.stop()
            reponse = await env.client.post("/coffre/v1/actes", headers=entetes, files=fichiers)
            verifier_probleme(reponse, 503, "indisponible")
            verifier_probleme(await env.client.get("/coffre/readyz"), 503, "indisponible")
            assert (await env.client.get("/coffre/v1/actes", headers=entetes)).json()["elements"] == []
            assert (await env.client.get("/coffre/v1/journal/entrees")).json()["elements"] == []
            serveur = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            serveur.start()
            assert (await env.client.get("/coffre/readyz")).status_code == 200
            apres = await env.client.post("/coffre/v1/actes", headers=entetes, files=fichiers)
            assert 400 <= apres.status_code < 500, apres.text
    finally:
        serveur.stop()


async def test_backends_terminated_mid_transaction_leave_nothing_half_written(tmp_path: Path) -> None:
    """Declarations created while the consent database's backends are terminated every 250 ms
    (`pg_terminate_backend`, mid-transaction as often as not): each answer is a 201 or a 503
    `indisponible`, never a 500, and the registry holds exactly one `declaration.creee` leaf per 201."""
    await require_postgres()
    async with embarque("postgresql", tmp_path) as env:
        nom_base = env.urls["consent"].rsplit("/", 1)[1]
        fini = asyncio.Event()
        coupures = 0

        async def couper_sans_cesse() -> None:
            nonlocal coupures
            admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
            try:
                while not fini.is_set():
                    coupures += len(
                        await admin.fetch(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE datname = $1 AND pid <> pg_backend_pid()",
                            nom_base,
                        )
                    )
                    await asyncio.sleep(0.25)
            finally:
                await admin.close()

        tache = asyncio.create_task(couper_sans_cesse())
        statuts: list[int] = []
        try:
            # Until both outcomes were seen (at least 20 requests, at most 150).
            while len(statuts) < 150 and (len(statuts) < 20 or not {201, 503} <= set(statuts)):
                reponse = await env.client.post("/consent/v1/declarations", json=corps())
                if reponse.status_code != 201:
                    verifier_probleme(reponse, 503, "indisponible")
                statuts.append(reponse.status_code)
        finally:
            fini.set()
            await tache
        assert coupures > 0
        assert 503 in statuts, "no request met a terminated backend: the test proves nothing"
        assert 201 in statuts, "no request went through between two terminations"
        # A 201 whose post-commit integration met a terminated backend left its leaf durable in the
        # queue, integrated by the next integration: one more declaration, the backends left alone,
        # integrates every queued leaf before the log is read.
        derniere = await env.client.post("/consent/v1/declarations", json=corps())
        assert derniere.status_code == 201, derniere.text
        statuts.append(201)
        entrees = (await env.client.get("/consent/v1/journal/entrees")).json()["elements"]
        creees = [e for e in entrees if json.loads(e["donnees"])["type"] == "declaration.creee"]
        assert len(creees) == statuts.count(201)
