"""What the benchmarks of the distributed topology (`tests/e2e/distribue_support.distribue`) share:
the pinned clock's working days, SQL on each service's database (jobs still due), the processes
under test by name, and moto's S3 server in a process of its own (so that its CPU time is its own
and it does not share the benchmark's interpreter lock)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as heure
from pathlib import Path

import asyncpg
import holidays
import httpx

from shared.testing.s3 import S3Server
from tests.e2e.deploiement import SERVICES, port_libre
from tests.e2e.distribue_support import Distribue, arreter
from tests.e2e.test_histoire import PARIS


def jour_ouvre_apres(jour: date) -> date:
    feries = holidays.country_holidays("FR")
    jour += timedelta(days=1)
    while jour.weekday() >= 5 or jour in feries:
        jour += timedelta(days=1)
    return jour


def dix_heures(jour: date) -> datetime:
    return datetime.combine(jour, heure(10), PARIS).astimezone(UTC)


async def connecter(dist: Distribue, service: str) -> asyncpg.Connection:
    dsn = dist.database_urls[service].replace("postgresql+asyncpg://", "postgresql://", 1)
    return await asyncpg.connect(dsn, timeout=10)


async def jobs_dus(dist: Distribue, instant: datetime) -> dict[str, int]:
    """`<service>:<kind>` → jobs due by `instant` still pending or running (absent when none)."""
    restants: dict[str, int] = defaultdict(int)
    for service in SERVICES:
        conn = await connecter(dist, service)
        try:
            for kind, nombre in await conn.fetch(
                "SELECT kind, count(*) FROM jobs WHERE status IN ('pending', 'running') "
                "AND run_at <= $1 GROUP BY kind",
                instant,
            ):
                restants[f"{service}:{kind}"] += nombre
        finally:
            await conn.close()
    return dict(restants)


async def tailles(dist: Distribue) -> dict[str, int]:
    """Each service's database size in bytes (`pg_database_size`)."""
    octets: dict[str, int] = {}
    for service in SERVICES:
        conn = await connecter(dist, service)
        try:
            octets[service] = await conn.fetchval("SELECT pg_database_size(current_database())")
        finally:
            await conn.close()
    return octets


def enfants() -> dict[int, list[int]]:
    """Each process's children, from /proc."""
    arbre: dict[int, list[int]] = defaultdict(list)
    for entree in os.listdir("/proc"):
        if not entree.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entree}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        arbre[ppid].append(int(entree))
    return arbre


def processus(dist: Distribue, banc: str = "banc+moto") -> dict[str, int]:
    """The processes under test by name: the three servers (children of this process running
    `signif serve <service>`), the current workers (`worker-1`, `worker-2`), and this process
    (named `banc`: the client, and whatever else runs in it)."""
    noms: dict[str, int] = {banc: os.getpid()}
    for pid in enfants().get(os.getpid(), []):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmd:
            noms[cmd[cmd.index(b"serve") + 1].decode()] = pid
    for i, worker in enumerate(p for p in dist.workers if p.returncode is None):
        noms[f"worker-{i + 1}"] = worker.pid
    return noms


_MOTO = """
import logging, sys, threading
from moto.server import ThreadedMotoServer
logging.getLogger("werkzeug").setLevel(logging.WARNING)
ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False).start()
threading.Event().wait()
"""


@asynccontextmanager
async def moto_processus(log: Path) -> AsyncIterator[tuple[S3Server, int]]:
    """moto's S3 server (as `shared.testing.s3`) in its own process on a free loopback port:
    how to reach it, and its pid. Stopped (SIGTERM) on the way out."""
    port = port_libre()
    with log.open("wb") as sortie:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _MOTO, str(port), stdout=sortie, stderr=sortie
        )
    try:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(300):
                if proc.returncode is not None:
                    raise RuntimeError(f"moto exited, see {log}")
                try:
                    await http.get(f"{url}/moto-api/")
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        yield S3Server(endpoint_url=url), proc.pid
    finally:
        await arreter([proc])
