"""CPU seconds of each process of the distributed topology over one phase, and the phase's floor.

`Releve` reads, at the phase's start and end, the user + system CPU seconds of each named process
(/proc/<pid>/stat; the benchmark's own process with `time.process_time`), and of PostgreSQL two
ways: the backends serving each service's database (`pg_stat_activity`, sampled every 0.2 s so
that a connection opened during the phase counts from zero; one closed during the phase keeps its
last sample), and every PostgreSQL process of the server, exited backends included (the
postmaster's children counters): that one also counts the server's background processes
(checkpointer, WAL writer, autovacuum) and any other user of the same server.

`plancher` measures the floor of each path on the same S3 endpoint and PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from bench.commun import MB, cpu_postgres, cpu_secondes, en_parallele
from shared.blobs.s3 import S3BlobStore
from shared.testing.databases import ADMIN_DSN, temporary_postgres
from shared.testing.s3 import S3Server

PG_TOUT = "postgres (all processes)"
BANC = "banc"


def _cpu_seul(pid: int) -> float | None:
    """User + system CPU seconds of `pid` alone (None once it is gone)."""
    try:
        champs = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(champs[11]) + int(champs[12])) / os.sysconf("SC_CLK_TCK")


class Releve:
    """`async with Releve(pids, bases) as r:` … then `r.secondes`: name → CPU seconds in the block.

    `pids`: process name → pid (the benchmark's own process under the name `BANC`); `bases`: service
    → its database's name, whose backends count as `postgres <service>`."""

    def __init__(self, pids: dict[str, int], bases: dict[str, str]) -> None:
        self.pids, self.bases = pids, bases
        self.secondes: dict[str, float] = {}
        self._backends: dict[int, list[float | str]] = {}  # pid → [service, first, last]

    async def __aenter__(self) -> Releve:
        self._admin = await asyncpg.connect(ADMIN_DSN, timeout=10)
        await self._echantillon(initial=True)
        self._avant = self._lire()
        self._tache = asyncio.create_task(self._boucle())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._tache.cancel()
        await asyncio.gather(self._tache, return_exceptions=True)
        apres = self._lire()
        await self._echantillon(initial=False)
        await self._admin.close()
        self.secondes = {nom: apres[nom] - self._avant[nom] for nom in apres}
        for service in self.bases:
            self.secondes[f"postgres {service}"] = sum(
                float(dernier) - float(premier)
                for nom, premier, dernier in self._backends.values()
                if nom == service
            )

    def _lire(self) -> dict[str, float]:
        lu = {nom: cpu_secondes(pid) for nom, pid in self.pids.items() if nom != BANC}
        lu[BANC] = time.process_time()
        lu[PG_TOUT] = cpu_postgres()
        return lu

    async def _echantillon(self, *, initial: bool) -> None:
        service_de = {base: service for service, base in self.bases.items()}
        for pid, base in await self._admin.fetch(
            "SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1::text[])",
            list(service_de),
        ):
            cpu = _cpu_seul(pid)
            if cpu is None:
                continue
            if pid in self._backends:
                self._backends[pid][2] = cpu
            else:
                self._backends[pid] = [service_de[base], cpu if initial else 0.0, cpu]

    async def _boucle(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            await self._echantillon(initial=False)


async def _morceaux(document: bytes) -> AsyncIterator[bytes]:
    for debut in range(0, len(document), 64 * 1024):
        yield document[debut : debut + 64 * 1024]


async def plancher(
    s3: S3Server, documents: list[bytes], concurrence_depot: int, concurrence_retrait: int
) -> dict[str, tuple[list[float], float]]:
    """The floor of each path, on a bucket of its own of the same S3 endpoint (Object Lock as the
    coffre's) and a throw-away database of the same PostgreSQL server:

    - `depot`: the blob store's upload (SHA-256 while spooling, `HeadObject`, `PutObject` with its
      checksum, `If-None-Match` and retention), then one INSERT in its own transaction (a commit);
    - `retrait`: the blob store's checked read (`GetObject`, SHA-256 re-computed and compared),
      then one INSERT in its own transaction.

    Each document once per path, at the given concurrency: (each call's seconds, total seconds)."""
    store = S3BlobStore(s3.settings(s3.new_bucket_name("signif-plancher"), object_lock_days=1))
    await store.ensure_bucket()
    async with temporary_postgres("signif_bench_plancher") as url:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        taille = max(concurrence_depot, concurrence_retrait)
        async with asyncpg.create_pool(dsn, min_size=taille, max_size=taille) as pool:
            await pool.execute(
                "CREATE TABLE plancher (id bigserial PRIMARY KEY, sha256 text NOT NULL, "
                "instant timestamptz NOT NULL DEFAULT now())"
            )
            empreintes: list[str] = []

            async def deposer(document: bytes) -> None:
                ref = await store.put_stream(_morceaux(document), max_bytes=50 * MB)
                await pool.execute("INSERT INTO plancher (sha256) VALUES ($1)", ref.sha256)
                empreintes.append(ref.sha256)

            async def retirer(empreinte: str) -> None:
                lus = 0
                async for morceau in await store.open(empreinte, verify=True):  # hashed, compared at the end
                    lus += len(morceau)
                if lus == 0:
                    raise RuntimeError(f"floor: blob {empreinte} read empty")
                await pool.execute("INSERT INTO plancher (sha256) VALUES ($1)", empreinte)

            depot = await en_parallele(documents, concurrence_depot, deposer)
            retrait = await en_parallele(list(empreintes), concurrence_retrait, retirer)
    return {"depot": depot, "retrait": retrait}
