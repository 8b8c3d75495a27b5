"""Retention purge: calendar-exact, daily job and CLI, crypto-shredding, nothing left to find."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.consent.models import CleDeclaration, Compte, Declaration, Piece, Version
from services.consent.purge.cli import executer
from signif.cli import build_parser
from tests.services.consent.conftest import (
    Consent,
    activer,
    consent_settings,
    corps,
    declarer,
    demarrer,
    octets_sqlite,
    ouverte,
    soumettre,
)

SECRETS = ("Dupont-Lefèvre".encode(), b"elise.dupont@example.org", b"1984-07-14", "Élise".encode())


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def compter(env: Consent) -> dict[str, int]:
    async with env.runtime.db.transaction() as session:
        return {
            m.__name__: int(await session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Declaration, Version, Piece, CleDeclaration, Compte)
        }


async def cle(env: Consent, declaration_id: str) -> bytes:
    async with env.runtime.db.transaction() as session:
        row = await session.get(CleDeclaration, declaration_id)
        assert row is not None
        return bytes(row.cle_enveloppee)


def checkpoint_wal(env: Consent) -> None:
    path = env.settings.effective_database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def test_revoked_2021_03_15_is_destroyed_on_2026_03_15_by_the_daily_job(tmp_path: Path) -> None:
    settings = consent_settings(tmp_path, now=instant("2021-03-10T09:00:00Z"))
    async with demarrer(settings) as env:
        d = await activer(env)
        await env.horloge("2021-03-15T10:00:00Z")
        revoked = await env.client.post(f"/consent/v1/declarations/{d.id}/revocation", headers=d.entetes)
        assert revoked.status_code == 200
        wrapped = await cle(env, d.id)
        view = (await env.client.get(f"/consent/v1/declarations/{d.id}", headers=d.entetes)).json()
        assert view["destruction_le"] == "2026-03-15"
        checkpoint_wal(env)
        before = octets_sqlite(env)
        assert wrapped in before  # the search below can fail
        for secret in SECRETS:
            assert secret not in before  # encrypted at rest even before the purge

        assert env.runtime.runner is not None
        await env.runtime.runner.run_due()
        await env.horloge("2026-03-14T22:59:00Z")  # 23:59 in Paris, 14 March
        await env.runtime.runner.run_due()
        assert (await compter(env))["Declaration"] == 1
        await env.horloge("2026-03-15T01:00:00Z")  # 02:00 in Paris, 15 March
        assert await env.runtime.runner.run_due() >= 1
        assert await compter(env) == {
            "Declaration": 0,
            "Version": 0,
            "Piece": 0,
            "CleDeclaration": 0,
            "Compte": 0,
        }
        gone = await env.client.get(f"/consent/v1/declarations/{d.id}", headers=d.entetes)
        assert (gone.status_code, gone.json()["code"]) == (403, "jeton-gestion-invalide")
        leaves = (await env.client.get("/consent/v1/journal/entrees")).json()["elements"]
        purgee = json.loads(leaves[-1]["donnees"])
        assert (purgee["type"], purgee["le"]) == ("declaration.purgee", "2026-03-15T01:00:00Z")
        # The purge destroyed every opening: no leaf, this one included, can be tied to it any more.
        assert all(d.id not in e["donnees"] for e in leaves)
        for e in leaves:
            assert "declaration_id" not in await ouverte(env.runtime, json.loads(e["donnees"]))
        checkpoint_wal(env)
        after = octets_sqlite(env)
        assert wrapped not in after
        for secret in SECRETS:
            assert secret not in after


async def test_29_february_revocation_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = consent_settings(tmp_path, now=instant("2024-02-20T09:00:00Z"))
    async with demarrer(settings) as env:
        d = await activer(env)
        keep = await activer(env, corps(contact={"email": "autre@example.org"}, fin=None))
        await env.horloge("2024-02-29T12:00:00Z")
        await env.client.post(f"/consent/v1/declarations/{d.id}/revocation", headers=d.entetes)
        view = (await env.client.get(f"/consent/v1/declarations/{d.id}", headers=d.entetes)).json()
        assert view["destruction_le"] == "2029-02-28"
    later = settings.model_copy(update={"now": instant("2029-02-28T08:00:00Z")})
    assert await executer(later, simulation=True) == [d.id]
    assert "1 déclaration(s) à détruire" in capsys.readouterr().out
    assert await executer(later, simulation=False) == [d.id]
    assert await executer(later, simulation=False) == []
    async with demarrer(later) as env:
        assert (
            await env.client.get(f"/consent/v1/declarations/{keep.id}", headers=keep.entetes)
        ).status_code == 200
        assert (await compter(env))["Declaration"] == 1
    args = build_parser().parse_args(["consent", "purge", "--dry-run"])
    assert args.dry_run is True
    assert args.func.__name__ == "cmd_purge"


async def test_postgres_dump_finds_nothing_after_the_purge(tmp_path: Path, postgres_url: str) -> None:
    settings = consent_settings(tmp_path, postgres_url, now=instant("2021-03-15T09:00:00Z"))
    async with demarrer(settings) as env:
        d = await activer(env)
        await env.client.post(f"/consent/v1/declarations/{d.id}/revocation", headers=d.entetes)
        wrapped = await cle(env, d.id)
        dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
        before = await dump(dsn)
        assert wrapped.hex().encode() in before
        await env.horloge("2026-03-15T09:00:00Z")
        assert env.runtime.runner is not None
        await env.runtime.runner.run_due()
        after = await dump(dsn)
        assert wrapped.hex().encode() not in after
        # Nothing keeps the id any more: the log's leaves commit to it, and the openings are gone.
        assert d.id.encode().hex().encode() not in after
        assert d.id.encode() not in after
        for secret in SECRETS:
            for text in (before, after):
                assert secret not in text
                assert secret.hex().encode() not in text


async def dump(dsn: str) -> bytes:
    process = await asyncio.create_subprocess_exec(
        "pg_dump", "--data-only", dsn, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err
    return out


async def test_a_draft_never_submitted_is_destroyed_after_30_days(tmp_path: Path) -> None:
    settings = consent_settings(tmp_path, now=instant("2026-03-02T09:00:00Z"))
    async with demarrer(settings) as env:
        brouillon = await declarer(env, corps(contact={"email": "brouillon@example.org"}))
        soumise = await soumettre(env)
        vue = (
            await env.client.get(f"/consent/v1/declarations/{brouillon.id}", headers=brouillon.entetes)
        ).json()
        assert vue["destruction_le"] == "2026-04-01"
        vue = (await env.client.get(f"/consent/v1/declarations/{soumise.id}", headers=soumise.entetes)).json()
        assert vue["destruction_le"] is None  # submitted: waits for the operator, never abandoned
    later = settings.model_copy(update={"now": instant("2026-03-31T09:00:00Z")})
    assert await executer(later, simulation=False) == []
    later = settings.model_copy(update={"now": instant("2026-04-01T09:00:00Z")})
    assert await executer(later, simulation=False) == [brouillon.id]
    async with demarrer(later) as env:
        assert (
            await env.client.get(f"/consent/v1/declarations/{soumise.id}", headers=soumise.entetes)
        ).status_code == 200
        assert (await compter(env))["Declaration"] == 1


async def test_a_legal_hold_keeps_a_declaration_past_its_date_until_lifted(
    tmp_path: Path, database_url: str
) -> None:
    settings = consent_settings(tmp_path, database_url, now=instant("2021-03-10T09:00:00Z"))
    procedure = {"juridiction": "TJ Paris", "numero": "RG 26/04242"}
    async with demarrer(settings) as env:
        d = await activer(env)
        await env.client.post(f"/consent/v1/declarations/{d.id}/revocation", headers=d.entetes)
        url = f"/consent/v1/autorite/declarations/{d.id}/conservation"
        juge = env.bearer("autorite_judiciaire")
        assert (
            await env.client.post(url, json={"procedure": procedure}, headers=env.bearer("commissaire"))
        ).status_code == 403
        assert (await env.client.post(url, json={}, headers=juge)).status_code == 422
        ordre = await env.client.post(url, json={"procedure": procedure}, headers=juge)
        assert ordre.status_code == 201, ordre.text
        assert ordre.json()["levee_le"] is None
        assert (await env.client.post(url, json={"procedure": procedure}, headers=juge)).status_code == 409
        autre = {"procedure": {**procedure, "numero": "RG 26/09999"}}
        assert (await env.client.post(f"{url}/levee", json=autre, headers=juge)).status_code == 404
        trouvee = await env.client.post(
            "/consent/v1/autorite/recherches",
            json={"procedure": procedure, "declaration_id": d.id},
            headers=juge,
        )
        types = [e["type"] for e in trouvee.json()["declarations"][0]["evenements"]]
        assert "declaration.conservation_ordonnee" in types

    later = settings.model_copy(update={"now": instant("2026-03-11T09:00:00Z")})
    assert await executer(later, simulation=False) == []  # due since 10 March, but held
    async with demarrer(later) as env:
        leve = await env.client.post(
            f"/consent/v1/autorite/declarations/{d.id}/conservation/levee",
            json={"procedure": procedure},
            headers=env.bearer("autorite_judiciaire"),
        )
        assert leve.status_code == 200, leve.text
        assert leve.json()["levee_le"] == "2026-03-11T09:00:00Z"
    assert await executer(later, simulation=False) == [d.id]


def test_the_cli_purge_runs_at_a_lowered_cpu_priority(tmp_path: Path) -> None:
    """`signif consent purge` gives the CPU to the service's requests first (`--nice`, 10 by default)."""
    script = (
        "import asyncio, os\n"
        "from shared.migrate import upgrade\n"
        "from services.consent.settings import ConsentSettings\n"
        "from signif.cli import main\n"
        "asyncio.run(upgrade('consent', ConsentSettings().effective_database_url))\n"
        "avant = os.nice(0)\n"
        "main(['consent', 'purge', '--dry-run', *ARGS])\n"
        "print('increment', os.nice(0) - avant)\n"
    )
    env = {**os.environ, "SIGNIF_ENV": "test", "SIGNIF_VAR_DIR": str(tmp_path), "SIGNIF_LOG_LEVEL": "WARNING"}
    for args, increment in (([], 10), (["--nice", "3"], 3), (["--nice", "0"], 0)):
        done = subprocess.run(
            [sys.executable, "-c", script.replace("ARGS", repr(args))],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert "0 déclaration(s) à détruire" in done.stdout
        assert f"increment {increment}" in done.stdout
    assert build_parser().parse_args(["consent", "purge"]).nice == 10
    assert build_parser().parse_args(["consent", "purge"]).pause == 1.0
    assert build_parser().parse_args(["consent", "purge", "--pause", "0"]).pause == 0.0
