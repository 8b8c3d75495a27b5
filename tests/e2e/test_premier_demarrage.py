"""Real processes starting together on one fresh `var/`: all come up, all with the same keys.

Each round starts, at once and on an empty directory, `signif migrate` beside two embedded
deployments (`signif serve`) and one process per service (`signif serve <service>`), all on SQLite
under that directory. Every server must become ready, the migration must succeed, and every process
must publish the same public keys (the coffre's seal JWKS and répertoire key, the registry's log
key, notify's webhook key): a process holding a key that another process replaced on disk would
publish a different one. A last process started afterwards reads the keys from disk and must agree.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from tests.e2e.deploiement import port_libre
from tests.e2e.distribue_support import _attendre_pret, _lancer, arreter

pytestmark = pytest.mark.e2e

TOURS = 3
#: The public keys each service publishes, read from every process that serves that service.
CLES = {
    "consent": ("/consent/v1/journal/cle",),
    "coffre": ("/coffre/v1/.well-known/jwks.json", "/coffre/v1/journal/cle"),
    "notify": ("/notify/v1/.well-known/webhooks-key",),
}
SERVICES = tuple(CLES)


async def _cles(http: httpx.AsyncClient, base: str, services: tuple[str, ...]) -> dict[str, str]:
    vues: dict[str, str] = {}
    for service in services:
        for chemin in CLES[service]:
            response = await http.get(base + chemin)
            assert response.status_code == 200, (base + chemin, response.text)
            vues[chemin] = response.text
    return vues


async def _demarrer(
    racine: Path, env: dict[str, str], nom: str, *args: str
) -> tuple[str, asyncio.subprocess.Process, Path]:
    port, log = port_libre(), racine / f"{nom}.log"
    proc = await _lancer(env, racine, log, "serve", *args, "--port", str(port))
    return f"http://127.0.0.1:{port}", proc, log


@pytest.mark.parametrize("tour", range(TOURS))
async def test_every_process_starting_on_a_fresh_var_comes_up_with_the_same_keys(
    tmp_path: Path, tour: int
) -> None:
    var = tmp_path / "var"
    env = {**os.environ, "SIGNIF_ENV": "test", "SIGNIF_VAR_DIR": str(var), "SIGNIF_RUN_JOBS": "false"}
    migration = await _lancer(env, tmp_path, tmp_path / "migrate.log", "migrate")
    lances = await asyncio.gather(
        _demarrer(tmp_path, env, "embarque-1"),
        _demarrer(tmp_path, env, "embarque-2"),
        *(_demarrer(tmp_path, env, service, service) for service in SERVICES),
    )
    servis = [SERVICES, SERVICES, *((service,) for service in SERVICES)]
    procs = [proc for _, proc, _ in lances]
    try:
        assert await asyncio.wait_for(migration.wait(), timeout=120) == 0, (
            tmp_path / "migrate.log"
        ).read_text()
        await asyncio.gather(
            *(
                _attendre_pret(base, service, proc, log)
                for (base, proc, log), services in zip(lances, servis, strict=True)
                for service in services
            )
        )
        async with httpx.AsyncClient(timeout=10) as http:
            vues = [
                await _cles(http, base, services)
                for (base, _, _), services in zip(lances, servis, strict=True)
            ]
            reference = vues[0]
            for vue in vues[1:]:
                assert vue == {chemin: reference[chemin] for chemin in vue}
            apres_base, apres, apres_log = await _demarrer(tmp_path, env, "apres")
            procs.append(apres)
            for service in SERVICES:
                await _attendre_pret(apres_base, service, apres, apres_log)
            assert await _cles(http, apres_base, SERVICES) == reference
    finally:
        await arreter(procs)
