"""Load generator: several processes, each an asyncio loop with a bounded number of concurrent
httpx requests, bounded by a request count and a duration. Every answer must be 200.

The processes share the machine with the server under test: on a 2-core box the client takes a
large share of the CPU, so the figures are a lower bound of what the server alone could do.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class Resultat:
    requetes: int
    erreurs: int
    secondes: float
    p50_ms: float
    p99_ms: float

    @property
    def par_seconde(self) -> float:
        return self.requetes / self.secondes if self.secondes else 0.0

    def ligne(self, nom: str) -> str:
        return (
            f"{nom:<28} {self.par_seconde:>7.0f} req/s p50 {self.p50_ms:>6.1f} ms  p99 {self.p99_ms:>6.1f} ms"
            f"  ({self.requetes} requêtes en {self.secondes:.1f} s, {self.erreurs} erreurs)"
        )


async def _tirer(
    url: str,
    tokens: list[str],
    corps: list[dict[str, Any]],
    concurrence: int,
    total: int,
    duree: float,
    arret: str | None,
) -> tuple[list[float], int, float, float]:
    latences: list[float] = []
    erreurs = 0
    compteur = itertools.count()
    limits = httpx.Limits(max_connections=concurrence, max_keepalive_connections=concurrence)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        debut = time.perf_counter()
        fin_au_plus_tard = debut + duree

        async def travailleur() -> None:
            nonlocal erreurs
            while (i := next(compteur)) < total and time.perf_counter() < fin_au_plus_tard:
                if arret is not None and i % 20 == 0 and Path(arret).exists():  # noqa: ASYNC240 - one stat() per 20 requests
                    break
                body = {**corps[i % len(corps)], "reference_dossier": f"BENCH-{i}"}
                headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
                t0 = time.perf_counter()
                response = await client.post(url, json=body, headers=headers)
                latences.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    erreurs += 1

        await asyncio.gather(*(travailleur() for _ in range(concurrence)))
        fin = time.perf_counter()
    return latences, erreurs, debut, fin


Args = tuple[str, list[str], list[dict[str, Any]], int, int, float, str | None]


def _processus(args: Args) -> tuple[list[float], int, float, float]:
    latences, erreurs, debut, fin = asyncio.run(_tirer(*args))
    # perf_counter is CLOCK_MONOTONIC on Linux: comparable across processes of one machine.
    return latences, erreurs, debut, fin


def _quantile(valeurs: list[float], q: float) -> float:
    ordonnees = sorted(valeurs)
    return ordonnees[min(len(ordonnees) - 1, round(q * (len(ordonnees) - 1)))] if ordonnees else 0.0


def mesurer(
    url: str,
    tokens: list[str],
    corps: list[dict[str, Any]],
    *,
    processus: int,
    concurrence: int,
    total: int,
    duree: float,
    arret: str | None = None,
) -> Resultat:
    """Run `processus` client processes of `concurrence` connections each, `total` requests at most
    and `duree` seconds at most; they also stop once the file `arret` exists."""
    part = max(1, total // processus)
    with multiprocessing.get_context("spawn").Pool(processus) as pool:
        parts = pool.map(_processus, [(url, tokens, corps, concurrence, part, duree, arret)] * processus)
    latences = [x for p in parts for x in p[0]]
    secondes = max(p[3] for p in parts) - min(p[2] for p in parts)
    return Resultat(
        requetes=len(latences),
        erreurs=sum(p[1] for p in parts),
        secondes=secondes,
        p50_ms=_quantile(latences, 0.50) * 1000,
        p99_ms=_quantile(latences, 0.99) * 1000,
    )
