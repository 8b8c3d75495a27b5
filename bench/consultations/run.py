"""Benchmark of `POST /consent/v1/consultations` on PostgreSQL, beside a bare FastAPI endpoint.

Steps (one run, one throw-away database dropped at the end):
1. create a database on the local PostgreSQL server, migrate it (`shared.migrate.upgrade`);
2. load `--declarations` rows (`charge.py`: a sample built with the service's own crypto and blind
   indexes, the rest generated server-side with the same shapes and indexes; from 1,000,000 filler
   rows on, the tables' indexes and constraints are dropped during the load and rebuilt after it);
3. start consent as real processes (development settings, jobs off): `--workers` uvicorn workers of
   `services.consent.main:app` (2 by default: two replicas of `signif serve consent` on one box;
   `--workers 1` runs `signif serve consent` itself), then the bare endpoint
   (`bench/consultations/nu.py`) with as many workers, all on 127.0.0.1;
4. load each in turn from `--clients` client processes (`client.py`) with real commissaire JWTs,
   `--concurrency` connections each, at most `--requests` requests or `--seconds` seconds, after a
   warm-up; print requests/s, p50, p99, the CPU milliseconds per request of the server, of
   PostgreSQL and of the client, the ratio, and which goals of issue 3 are met.

The client processes and PostgreSQL run on the same cores as the server (2 on the reference box):
the figures are what the whole machine does, not the server alone. Nothing is asserted.

    .venv/bin/python -m bench.consultations.run --declarations 1000000
    .venv/bin/python -m bench.consultations.run --declarations 10000000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.commun import cpu_postgres, cpu_secondes
from bench.consultations.charge import charger_echantillon, charger_masse, maintenant
from bench.consultations.client import Resultat, mesurer
from services.consent.registre import build_registre
from services.consent.settings import ConsentSettings
from shared.issuer import DevIssuer
from shared.migrate import upgrade
from shared.testing.apps import commissaire_claims
from shared.testing.databases import temporary_postgres

ROOT = Path(__file__).resolve().parents[2]
NATURES = ("assignation", "signification_decision")


def port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _no_http(_request: httpx.Request) -> httpx.Response:  # pragma: no cover - loading sends nothing
    raise RuntimeError("no HTTP while loading")


@dataclass
class Banc:
    """A loaded database, its settings' environment and the identities worth querying."""

    url: str
    var_dir: Path
    env: dict[str, str]
    identites: list[dict[str, Any]]

    def tokens(self, n: int = 8) -> list[str]:
        issuer = DevIssuer(self.var_dir / "keys")
        return [
            issuer.token(
                role="commissaire",
                sub=f"cj-bench-{k}",
                audience="consent",
                **commissaire_claims(office_id=f"office-bench-{k}", nom=f"Me Bench {k}"),
            )
            for k in range(n)
        ]

    def corps(self) -> list[dict[str, Any]]:
        return [
            {"destinataire": identite, "nature": NATURES[i % len(NATURES)]}
            for i, identite in enumerate(self.identites)
        ]


@asynccontextmanager
async def banc(declarations: int, echantillon: int, *, prefix: str = "bench_consent") -> AsyncIterator[Banc]:
    work = Path(tempfile.mkdtemp(prefix="bench-consent-"))
    try:
        async with temporary_postgres(prefix) as url:
            env = {
                **os.environ,
                "SIGNIF_ENV": "development",
                "SIGNIF_VAR_DIR": str(work),
                "SIGNIF_RUN_JOBS": "false",
                "SIGNIF_LOG_LEVEL": "WARNING",
                "CONSENT_DATABASE_URL": url,
                "CONSENT_PURGE_QUOTIDIENNE": "false",
            }
            await upgrade("consent", url)
            settings = ConsentSettings(env="development", var_dir=work, database_url=url)
            DevIssuer(work / "keys")  # the issuer key and JWKS the service trusts
            start = time.perf_counter()
            async with httpx.AsyncClient(transport=httpx.MockTransport(_no_http)) as http:
                registre = build_registre(settings, http)
                identites = await charger_echantillon(url, registre, echantillon, maintenant())
            print(
                f"échantillon : {echantillon} déclarations en {time.perf_counter() - start:.1f} s", flush=True
            )
            masse = max(0, declarations - echantillon)
            secondes = await charger_masse(url, masse, sans_index=masse >= 1_000_000)
            print(f"masse : {masse} déclarations en {secondes:.1f} s", flush=True)
            yield Banc(url, work, env, identites)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@asynccontextmanager
async def serveur(argv: list[str], env: dict[str, str], sante: str) -> AsyncIterator[tuple[str, int]]:
    """Start `python <argv>` with `--port`, wait for `sante` to answer, yield (base URL, pid)."""
    port = port_libre()
    process = await asyncio.create_subprocess_exec(
        sys.executable, *argv, "--host", "127.0.0.1", "--port", str(port), env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(300):
                try:
                    if (await client.get(sante)).status_code in (200, 405):
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"{argv} did not start")
        yield base, process.pid
    finally:
        process.terminate()
        await process.wait()


def uvicorn_argv(app: str, workers: int) -> list[str]:
    return ["-m", "uvicorn", app, "--workers", str(workers), "--log-level", "warning", "--no-access-log"]


def consent_argv(workers: int) -> list[str]:
    """`signif serve consent` for one process; several: uvicorn's workers (like replicas of it)."""
    if workers == 1:
        return ["-m", "signif.cli", "serve", "consent"]
    return uvicorn_argv("services.consent.main:app", workers)


@dataclass(frozen=True)
class Cpu:
    """CPU milliseconds per request of the server under test and of PostgreSQL."""

    serveur: float
    postgres: float


async def charger_http(
    url: str, b: Banc, args: argparse.Namespace, tokens: list[str], pid: int
) -> tuple[Resultat, Cpu]:
    """Warm up, then measure; also return the server's and PostgreSQL's CPU per request."""
    corps = b.corps()
    await asyncio.to_thread(
        mesurer, url, tokens, corps, processus=1, concurrence=4, total=min(500, args.requests), duree=10
    )  # warm-up
    avant, pg_avant = cpu_secondes(pid), cpu_postgres()
    resultat = await asyncio.to_thread(
        mesurer,
        url,
        tokens,
        corps,
        processus=args.clients,
        concurrence=args.concurrency,
        total=args.requests,
        duree=args.seconds,
    )
    par_requete = 1000 / max(1, resultat.requetes)
    return resultat, Cpu((cpu_secondes(pid) - avant) * par_requete, (cpu_postgres() - pg_avant) * par_requete)


async def main(args: argparse.Namespace) -> None:
    async with banc(args.declarations, args.sample) as b:
        tokens = b.tokens()
        async with serveur(consent_argv(args.workers), b.env, "/consent/healthz") as (base, pid):
            consent, cpu_consent = await charger_http(
                f"{base}/consent/v1/consultations", b, args, tokens, pid
            )
        nu_argv = uvicorn_argv("bench.consultations.nu:app", args.workers)
        async with serveur(nu_argv, b.env, "/docs") as (base, pid):
            nu, cpu_nu = await charger_http(f"{base}/nu/consultations", b, args, tokens, pid)
    print(
        f"\n{args.declarations} déclarations, {args.clients} processus clients × {args.concurrency}"
        f" connexions, {args.workers} processus serveur (consent et nu), {os.cpu_count()} cœurs"
    )
    for nom, r, cpu in (("POST /consultations", consent, cpu_consent), ("endpoint nu", nu, cpu_nu)):
        print(
            r.ligne(nom) + f"  CPU ms/requête : serveur {cpu.serveur:.2f}, PostgreSQL {cpu.postgres:.2f},"
            f" client {r.cpu_client_ms:.2f}"
        )
    print(f"charge moyenne de la machine (1 min) à la fin : {os.getloadavg()[0]:.1f}")
    ratio = consent.par_seconde / nu.par_seconde if nu.par_seconde else 0.0
    print(f"rapport consent / nu : {ratio:.2f}")
    objectifs = (
        ("≥ 1 000 requêtes/s", consent.par_seconde >= 1000),
        ("p99 ≤ 50 ms", consent.p99_ms <= 50),
        ("≥ la moitié du débit nu", ratio >= 0.5),
    )
    print("objectifs : " + " ; ".join(f"{nom} {'atteint' if ok else 'non atteint'}" for nom, ok in objectifs))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--declarations", type=int, default=1_000_000)
    p.add_argument("--sample", type=int, default=1000, help="declarations built with the service's code")
    p.add_argument("--clients", type=int, default=2, help="client processes")
    p.add_argument("--concurrency", type=int, default=16, help="connections per client process")
    p.add_argument("--requests", type=int, default=20_000, help="requests at most per measurement")
    p.add_argument("--seconds", type=float, default=20.0, help="seconds at most per measurement")
    p.add_argument(
        "--workers", type=int, default=2, help="server processes of each (1 = signif serve consent)"
    )
    return p


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
