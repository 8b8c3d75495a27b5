"""Load generator: several processes, each an asyncio loop holding `concurrence` keep-alive HTTP/1.1
connections, bounded by a request count and a duration. Every answer must be 200.

The client speaks HTTP/1.1 itself over asyncio streams (request bytes built once per request, the
answer read by `Content-Length`): a general-purpose client such as httpx costs several CPU
milliseconds per request, which on a 2-core box that also runs the server and PostgreSQL would
leave the server a fraction of the machine and measure mostly the client. The processes still share
the cores with the server under test, so the figures are a lower bound of what the server alone
could do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Resultat:
    requetes: int
    erreurs: int
    secondes: float
    p50_ms: float
    p99_ms: float
    cpu_client_ms: float = 0.0  # client processes' CPU per request
    latences: tuple[float, ...] = field(default=(), repr=False)  # seconds, sorted

    def avec(self, autre: Resultat) -> Resultat:
        """Both measurements as one: their requests pooled (quantiles of the union), durations added."""
        latences = tuple(sorted(self.latences + autre.latences))
        return Resultat(
            requetes=self.requetes + autre.requetes,
            erreurs=self.erreurs + autre.erreurs,
            secondes=self.secondes + autre.secondes,
            p50_ms=_quantile(latences, 0.50) * 1000,
            p99_ms=_quantile(latences, 0.99) * 1000,
            latences=latences,
        )

    @property
    def par_seconde(self) -> float:
        return self.requetes / self.secondes if self.secondes else 0.0

    def ligne(self, nom: str) -> str:
        return (
            f"{nom:<28} {self.par_seconde:>7.0f} req/s p50 {self.p50_ms:>6.1f} ms  p99 {self.p99_ms:>6.1f} ms"
            f"  ({self.requetes} requêtes en {self.secondes:.1f} s, {self.erreurs} erreurs)"
        )


class ReponseIllisible(Exception):
    """The server's answer is not an HTTP/1.1 response this client reads (no Content-Length...)."""


def requete(hote: str, chemin: str, jeton: str, corps: dict[str, Any]) -> bytes:
    """The bytes of one `POST chemin` with a JSON body and a bearer token."""
    contenu = json.dumps(corps, ensure_ascii=False, separators=(",", ":")).encode()
    tete = (
        f"POST {chemin} HTTP/1.1\r\nHost: {hote}\r\nAuthorization: Bearer {jeton}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(contenu)}\r\n\r\n"
    )
    return tete.encode("ascii") + contenu


async def lire_reponse(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one response: (status, body, whether the server keeps the connection open)."""
    tete = await reader.readuntil(b"\r\n\r\n")
    lignes = tete.decode("latin-1").split("\r\n")
    statut = int(lignes[0].split(" ", 2)[1])
    longueur: int | None = None
    garde = True
    for ligne in lignes[1:]:
        nom, _, valeur = ligne.partition(":")
        nom = nom.strip().lower()
        if nom == "content-length":
            longueur = int(valeur)
        elif nom == "connection" and valeur.strip().lower() == "close":
            garde = False
        elif nom == "transfer-encoding":
            raise ReponseIllisible(f"transfer-encoding {valeur.strip()} non pris en charge")
    if longueur is None:
        raise ReponseIllisible("réponse sans Content-Length")
    return statut, await reader.readexactly(longueur), garde


async def _tirer(
    url: str,
    tokens: list[str],
    corps: list[dict[str, Any]],
    concurrence: int,
    total: int,
    duree: float,
    arret: str | None,
) -> tuple[list[float], int, float, float, float]:
    latences: list[float] = []
    erreurs = 0
    compteur = itertools.count()
    cible = urlsplit(url)
    hote, port = cible.hostname or "127.0.0.1", cible.port or 80
    debut, cpu = time.perf_counter(), time.process_time()
    fin_au_plus_tard = debut + duree

    async def travailleur() -> None:
        nonlocal erreurs
        reader, writer = await asyncio.open_connection(hote, port)
        try:
            while (i := next(compteur)) < total and time.perf_counter() < fin_au_plus_tard:
                if arret is not None and i % 20 == 0 and Path(arret).exists():  # noqa: ASYNC240 - one stat() per 20 requests
                    break
                body = {**corps[i % len(corps)], "reference_dossier": f"BENCH-{i}"}
                donnees = requete(cible.netloc, cible.path, tokens[i % len(tokens)], body)
                t0 = time.perf_counter()
                writer.write(donnees)
                statut, _, garde = await lire_reponse(reader)
                latences.append(time.perf_counter() - t0)
                if statut != 200:
                    erreurs += 1
                if not garde:
                    writer.close()
                    reader, writer = await asyncio.open_connection(hote, port)
        finally:
            writer.close()

    await asyncio.gather(*(travailleur() for _ in range(concurrence)))
    return latences, erreurs, debut, time.perf_counter(), time.process_time() - cpu


Args = tuple[str, list[str], list[dict[str, Any]], int, int, float, str | None]


def _processus(args: Args) -> tuple[list[float], int, float, float, float]:
    # perf_counter is CLOCK_MONOTONIC on Linux: comparable across processes of one machine.
    return asyncio.run(_tirer(*args))


def _quantile(valeurs: Sequence[float], q: float) -> float:
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
        cpu_client_ms=sum(p[4] for p in parts) * 1000 / max(1, len(latences)),
        latences=tuple(sorted(latences)),
    )
