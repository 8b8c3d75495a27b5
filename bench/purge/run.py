"""Benchmark of the retention purge: `--due` due declarations destroyed while consultations run.

One throw-away PostgreSQL database (`bench.consultations.run.banc`): a sample of live declarations
built with the service's code, `--live` live filler declarations and `--due` declarations revoked
six years ago (each with its key, a version, two events, a 4 KiB proof and an account, see
`bench/consultations/charge.py`). Consent runs as a real process (jobs off). Then:

0. a CHECKPOINT once loaded, so that writing the loading's dirty pages does not fall into a measurement;
1. consultations alone for `--seconds` seconds (the reference, before);
2. the same load again while `signif consent purge` (the service's purge, its CLI, one process)
   runs; the load stops when the purge exits;
3. consultations alone again for `--seconds` seconds (the reference, after).
Printed: the purge's wall time, the p50/p99 of each measurement, the ratio of the p99 during the
purge to the p99 of the reference (its requests before and after pooled: one window of 15 s moved
between 10 and 16 ms from run to run), the ratios to each window alone, and that no due declaration
nor key is left.

    .venv/bin/python -m bench.purge.run --due 100000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from bench.consultations.charge import charger_masse, dsn_of
from bench.consultations.client import Resultat, mesurer
from bench.consultations.run import ROOT, banc, consent_argv, serveur


async def checkpoint(url: str) -> None:
    conn = await asyncpg.connect(dsn_of(url))
    try:
        await conn.execute("CHECKPOINT")
    except asyncpg.InsufficientPrivilegeError:
        print("(CHECKPOINT refusé à ce rôle : mesures sans point de reprise préalable)", flush=True)
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> None:
    async with banc(args.live, args.sample, prefix="bench_purge") as b:
        secondes = await charger_masse(b.url, args.due, prefix="P", due=True)
        print(f"dues : {args.due} déclarations en {secondes:.1f} s", flush=True)
        await checkpoint(b.url)
        tokens, corps = b.tokens(), b.corps()
        async with serveur(consent_argv(1), b.env, "/consent/healthz") as (base, _):
            url = f"{base}/consent/v1/consultations"
            charge = {"processus": args.clients, "concurrence": args.concurrency, "total": 10**9}
            await asyncio.to_thread(
                mesurer, url, tokens, corps, processus=1, concurrence=4, total=300, duree=10
            )
            avant = await asyncio.to_thread(mesurer, url, tokens, corps, **charge, duree=args.seconds)
            arret = Path(tempfile.mkdtemp(prefix="bench-purge-")) / "arret"
            mesure = asyncio.create_task(
                asyncio.to_thread(mesurer, url, tokens, corps, **charge, duree=600, arret=str(arret))
            )
            await asyncio.sleep(2)  # the client processes are up and loading
            debut = time.perf_counter()
            purge = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "signif.cli",
                "consent",
                "purge",
                *args.purge_args.split(),
                env=b.env,
                cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL,
            )
            code = await purge.wait()
            duree_purge = time.perf_counter() - debut
            arret.touch()
            pendant = await mesure
            apres = await asyncio.to_thread(mesurer, url, tokens, corps, **charge, duree=args.seconds)
        conn = await asyncpg.connect(dsn_of(b.url))
        try:
            restantes = await conn.fetchval("SELECT count(*) FROM consent_declarations WHERE id LIKE 'P-%'")
            cles = await conn.fetchval("SELECT count(*) FROM consent_cles WHERE declaration_id LIKE 'P-%'")
        finally:
            await conn.close()
    seul = avant.avec(apres)
    print(f"\n{args.due} déclarations dues, {args.live + args.sample} vivantes")
    print(
        f"purge (signif consent purge {args.purge_args}".rstrip() + f", code {code}) : {duree_purge:.1f} s ;"
        f" restantes {restantes}, clés {cles}"
    )
    print(avant.ligne("consultations seules, avant"))
    print(pendant.ligne("consultations pendant purge"))
    print(apres.ligne("consultations seules, après"))
    print(seul.ligne("seules, avant + après"))

    def rapport(reference: Resultat) -> float:
        return pendant.p99_ms / reference.p99_ms if reference.p99_ms else 0.0

    print(
        f"p99 pendant / seules : {rapport(seul):.2f}"
        f"  (/ avant seul {rapport(avant):.2f}, / après seul {rapport(apres):.2f})"
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--due", type=int, default=100_000, help="declarations due for destruction")
    p.add_argument("--live", type=int, default=100_000, help="live filler declarations")
    p.add_argument("--sample", type=int, default=500)
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--seconds", type=float, default=15.0, help="duration of the reference measurement")
    p.add_argument(
        "--purge-args", default="", help="extra options of `signif consent purge`, e.g. '--pause 1'"
    )
    return p


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
