"""Benchmark of the avis de réception flow: retrievals by the destinataire → signed webhook at the office.

The embedded deployment runs as `make run` starts it: `signif migrate` then `signif serve` (one
process, three services, SQLite files and local blobs in a temp directory, job runners in process,
development settings) with its mail going to a real SMTP server in this process. Setup, not
measured: one destinataire declares, confirms and is accepted (`tests.e2e` helpers); the office
subscribes a real local receiver (`shared.testing.webhooks`) to `acte.pris_connaissance`;
`--retraits` signed actes are deposited for that destinataire; once every job has settled (avis
e-mails sent and reported), the destinataire signs in on the retrieval pages (password + e-mailed
code) once per `--par-session` actes, on as many links (the retrieval pages' and consent's limits
per client and per address are raised for this one client).

Measured: the downloads, `--concurrence` in flight from this process, each the authenticated POST
of "Télécharger l'acte" for another acte (the first download of each: a prise de connaissance, so
one avis de réception and one webhook each). Printed: retrievals/s, and the latency from each
download's response (body read) to the arrival of its webhook at the receiver (p50, p95, p99, max;
goal p99 ≤ 2 s). Then a `--taille-mo` MB acte is downloaded `--repetitions` times through its
session, beside the same file read from disk and served by a minimal static file server
(`sendfile`, the nginx stand-in) in the same run (goal: at least half). Nothing is asserted.

    .venv/bin/python bench/avis/run.py --retraits 1000 --concurrence 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.commun import (  # noqa: E402
    MB,
    Arrivees,
    Session,
    centile,
    copies_signees,
    cpu_secondes,
    flux_telechargement,
    ouvrir_session,
    telecharger,
)
from shared.testing.smtp import SmtpServer, smtp_server  # noqa: E402
from shared.testing.webhooks import WebhookReceiver, webhook_receiver  # noqa: E402
from tests.e2e.deploiement import SIGNIF, lien_dans, port_libre  # noqa: E402
from tests.e2e.distribue_support import DeploiementDistribue  # noqa: E402
from tests.e2e.test_histoire import OFFICE, declarer_et_faire_accepter  # noqa: E402

DEROGATION = {"ordonnance": "BENCH-1", "juridiction": "TJ Paris", "date": "2026-01-01"}
SERVICES = ("consent", "coffre", "notify")
PRIS = "acte.pris_connaissance"


@dataclass
class Embarque:
    base: str
    var: Path
    env: dict[str, str]
    proc: asyncio.subprocess.Process

    @property
    def deploiement(self) -> DeploiementDistribue:
        """The tests' view of a deployment (tokens minted with its development issuer)."""
        return DeploiementDistribue(self.base, self.var, self.env, self.var.parent / "serve.log")

    def jeton(self, role: str, audience: str, **claims: Any) -> dict[str, str]:
        token = self.deploiement.jeton(role, f"bench-{role}", audience, **claims)
        return {"Authorization": f"Bearer {token}"}

    def commissaire(self, audience: str) -> dict[str, str]:
        return self.jeton("commissaire", audience, nom="Me Bench", office=OFFICE)


@asynccontextmanager
async def embarque(racine: Path, smtp: SmtpServer) -> AsyncIterator[Embarque]:
    """`signif migrate` + `signif serve`, development settings, jobs in process (as `make run`)."""
    port = port_libre()
    base = f"http://127.0.0.1:{port}"
    var = racine / "var"
    env = {
        **os.environ,
        "SIGNIF_ENV": "development",
        "SIGNIF_VAR_DIR": str(var),
        "SIGNIF_PUBLIC_URL": base,
        "SIGNIF_LOG_LEVEL": "WARNING",
        "NOTIFY_WEBHOOK_ALLOWLIST": '["127.0.0.1/32"]',  # the local webhook receiver
        # One client and one account sign in and download a thousand times: limits out of the way.
        "COFFRE_RETRAIT_PAGES_PAR_CLIENT": "1000000",
        "COFFRE_RETRAIT_CONNEXIONS_PAR_CLIENT": "1000000",
        "CONSENT_DEFIS_PAR_HEURE": "1000000",
        "CONSENT_DEFIS_PAR_JOUR": "1000000",
        "NOTIFY_SMTP_HOST": smtp.host,
        "NOTIFY_SMTP_PORT": str(smtp.port),
        "NOTIFY_SMTP_STARTTLS": "false",
    }
    env.pop("SIGNIF_NOW", None)
    migrate = await asyncio.create_subprocess_exec(SIGNIF, "migrate", env=env, cwd=racine)
    if await migrate.wait() != 0:
        raise RuntimeError("signif migrate failed")
    with (racine / "serve.log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            SIGNIF, "serve", "--port", str(port), env=env, cwd=racine, stdout=log, stderr=log
        )
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(600):
                try:
                    if all([(await http.get(f"{base}/{s}/readyz")).status_code == 200 for s in SERVICES]):
                        break
                except httpx.HTTPError:
                    pass
                if proc.returncode is not None:
                    raise RuntimeError((racine / "serve.log").read_text())
                await asyncio.sleep(0.1)
        yield Embarque(base, var, env, proc)
    except BaseException:
        print((racine / "serve.log").read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


def _signe(var: Path, chemin: Path, taille: int) -> Path:
    from shared.testing import pdfs

    acte = pdfs.acte_pdfa(titre="Signification (benchmark)", taille_min=taille)
    chemin.write_bytes(next(iter(copies_signees(var, acte, 1))))
    return chemin


async def deposer(http: httpx.AsyncClient, dep: Embarque, document: bytes, declaration_id: str) -> str:
    meta = {
        "reference_dossier": "BENCH-AVIS",
        "nature": "signification_decision",
        "requerant": {"nom": "SCI Les Tilleuls"},
        "destinataire": {"declaration_id": declaration_id},
        "derogation_664": DEROGATION,  # so the benchmark runs at any hour
    }
    reponse = await http.post(
        "/coffre/v1/actes",
        headers=dep.commissaire("coffre"),
        files=[
            ("metadonnees", (None, json.dumps(meta).encode(), "application/json")),
            ("document", ("acte.pdf", document, "application/pdf")),
        ],
    )
    if reponse.status_code != 201 or reponse.json()["statut"] != "envoye":
        raise RuntimeError(f"deposit: {reponse.status_code} {reponse.text[:300]}")
    return str(reponse.json()["id"])


async def deposer_tous(
    http: httpx.AsyncClient, dep: Embarque, document: bytes, declaration_id: str, n: int, concurrence: int
) -> list[str]:
    restants = iter(range(n))
    ids: list[str] = []

    async def un() -> None:
        for _ in restants:
            ids.append(await deposer(http, dep, document, declaration_id))

    await asyncio.gather(*(un() for _ in range(concurrence)))
    return ids


def _jobs_en_cours(var: Path) -> int:
    """Jobs running or due now in the three SQLite files (read directly, read-only)."""
    maintenant = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    total = 0
    for service in SERVICES:
        with sqlite3.connect(f"file:{var / (service + '.db')}?mode=ro", uri=True, timeout=30) as conn:
            total += conn.execute(
                "SELECT count(*) FROM jobs WHERE status = 'running' OR (status = 'pending' AND run_at <= ?)",
                (maintenant,),
            ).fetchone()[0]
    return int(total)


async def attendre_calme(var: Path, delai: float = 1800) -> None:
    limite = time.monotonic() + delai
    while await asyncio.to_thread(_jobs_en_cours, var):
        if time.monotonic() > limite:
            raise RuntimeError("jobs still running after the deposits")
        await asyncio.sleep(0.5)


async def retirer_tous(
    sessions: list[Session], actes: list[str], concurrence: int, taille: int, durees: list[float]
) -> tuple[dict[str, float], float]:
    """Download every acte (`concurrence` in flight); (response instant per acte, start instant).
    Each download's own duration is appended to `durees`."""
    restants = iter(enumerate(actes))
    reponses: dict[str, float] = {}

    async def un() -> None:
        for i, acte_id in restants:
            envoi = time.perf_counter()
            reponse, _ = await telecharger(sessions[i % len(sessions)], acte_id)
            if reponse.status_code != 200 or len(reponse.content) != taille:
                raise RuntimeError(
                    f"download {acte_id}: {reponse.status_code} "
                    f"{reponse.headers.get('location', '')} {reponse.text[:200]}"
                )
            reponses[acte_id] = time.perf_counter()
            durees.append(reponses[acte_id] - envoi)

    debut = time.perf_counter()
    await asyncio.gather(*(un() for _ in range(concurrence)))
    return reponses, debut


# --- the 20 MB download beside a plain file read and a minimal static file server ---------------


async def servir_fichier(chemin: Path, taille: int, port: int) -> None:
    """A minimal HTTP/1.1 static file server (one file, `sendfile`), the nginx stand-in."""

    async def servir(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                tete = f"HTTP/1.1 200 OK\r\ncontent-type: application/pdf\r\ncontent-length: {taille}\r\n\r\n"
                writer.write(tete.encode())
                with chemin.open("rb") as fichier:
                    await asyncio.get_running_loop().sendfile(writer.transport, fichier)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    serveur = await asyncio.start_server(servir, "127.0.0.1", port)
    async with serveur:
        await serveur.serve_forever()


def _lire(chemin: Path) -> float:
    debut = time.perf_counter()
    with chemin.open("rb", buffering=0) as fichier:
        while fichier.read(MB):
            pass
    return time.perf_counter() - debut


async def _get(http: httpx.AsyncClient, url: str, taille: int) -> float:
    debut = time.perf_counter()
    lus = 0
    async with http.stream("GET", url) as reponse:
        async for morceau in reponse.aiter_raw():
            lus += len(morceau)
    if lus != taille:
        raise RuntimeError(f"static server: {lus} bytes")
    return time.perf_counter() - debut


async def _post(session: Session, acte_id: str, taille: int) -> float:
    debut = time.perf_counter()
    lus = 0
    async with flux_telechargement(session, acte_id) as reponse:
        if reponse.status_code != 200:
            raise RuntimeError(f"download: {reponse.status_code}")
        async for morceau in reponse.aiter_raw():
            lus += len(morceau)
    if lus != taille:
        raise RuntimeError(f"download: {lus} bytes")
    return time.perf_counter() - debut


async def debit(session: Session, acte_id: str, chemin: Path, taille: int, repetitions: int) -> None:
    mo = taille / MB
    port = port_libre()
    statique = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--servir-fichier", str(chemin), "--port", str(port)
    )
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            for _ in range(600):  # up to 30 s: it starts slowly on a loaded machine
                try:
                    await _get(http, f"http://127.0.0.1:{port}/acte.pdf", taille)
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.05)
            premiere = await _post(session, acte_id, taille)  # the prise de connaissance
            coffre = [await _post(session, acte_id, taille) for _ in range(repetitions)]
            serveur = [
                await _get(http, f"http://127.0.0.1:{port}/acte.pdf", taille) for _ in range(repetitions)
            ]
            lecture = [_lire(chemin) for _ in range(repetitions)]
    finally:
        statique.terminate()
        await statique.wait()
    c, s, r = (mo / statistics.median(v) for v in (coffre, serveur, lecture))
    print(f"\n{mo:.1f} MB acte, median of {repetitions} downloads:")
    print(f"  coffre retrieval (authenticated POST, hash-checked stream): {c:7.0f} MB/s")
    print(f"  first download (prise de connaissance, avis de réception):   {mo / premiere:7.0f} MB/s")
    print(f"  minimal static file server (sendfile):                      {s:7.0f} MB/s  ratio {c / s:.2f}")
    print(f"  plain file read (page cache):                               {r:7.0f} MB/s  ratio {c / r:.2f}")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-avis-") as tmp:
        racine = Path(tmp)
        arrivees = Arrivees()
        async with smtp_server() as smtp, webhook_receiver() as recepteur, embarque(racine, smtp) as dep:
            recepteur.requests = arrivees
            async with httpx.AsyncClient(base_url=dep.base, timeout=120) as http:
                await mesurer(args, racine, dep, http, smtp, recepteur, arrivees)


async def mesurer(
    args: argparse.Namespace,
    racine: Path,
    dep: Embarque,
    http: httpx.AsyncClient,
    smtp: SmtpServer,
    recepteur: WebhookReceiver,
    arrivees: Arrivees,
) -> None:
    n = args.retraits
    print(f"setup: declaration, {n} deposits, {math.ceil(n / args.par_session)} sign-ins...", flush=True)
    declaration_id = await declarer_et_faire_accepter(http, dep.deploiement, smtp)
    abonnement = await http.post(
        "/notify/v1/abonnements",
        json={"url": f"{recepteur.url}/webhooks", "types": ["acte.pris_connaissance"]},
        headers=dep.commissaire("notify"),
    )
    abonnement.raise_for_status()
    petit = await asyncio.to_thread(_signe, dep.var, racine / "acte.pdf", 0)
    gros = await asyncio.to_thread(_signe, dep.var, racine / "gros.pdf", args.taille_mo * MB - 256 * 1024)
    document = petit.read_bytes()
    debut = time.perf_counter()
    actes = await deposer_tous(http, dep, document, declaration_id, n, 4)
    gros_octets = gros.read_bytes()
    gros_id = await deposer(http, dep, gros_octets, declaration_id)
    print(f"  {n + 1} deposits in {time.perf_counter() - debut:.0f} s", flush=True)
    await attendre_calme(dep.var)
    liens = [lien_dans(m.message) for m in smtp.received if "/coffre/retrait/" in m.raw.decode()]
    k = math.ceil(n / args.par_session)
    sessions = [await ouvrir_session(http, smtp, lien) for lien in liens[:k]]
    gros_session = await ouvrir_session(http, smtp, liens[k])  # any link of hers: downloads name the acte
    await attendre_calme(dep.var)
    print(f"  ready after {time.perf_counter() - debut:.0f} s", flush=True)

    cpu = cpu_secondes(dep.proc.pid)
    durees: list[float] = []
    reponses, debut = await retirer_tous(sessions, actes, args.concurrence, len(document), durees)
    duree = max(reponses.values()) - debut
    await arrivees.attendre(PRIS, actes)
    cpu = cpu_secondes(dep.proc.pid) - cpu
    fin = max(arrivees.par_type[PRIS][a] for a in actes) - debut
    latences = [arrivees.par_type[PRIS][a] - reponses[a] for a in actes]
    doublons = arrivees.doublons()
    print(f"\nretrievals: {n}, {args.concurrence} in flight, {len(sessions)} destinataire sessions")
    print(f"  {n / duree:.1f} retrievals/s ({duree:.1f} s); every webhook in {fin:.1f} s")
    print(
        "  download response → webhook arrival: "
        f"p50 {statistics.median(latences) * 1000:.0f} ms, p95 {centile(latences, 0.95) * 1000:.0f} ms, "
        f"p99 {centile(latences, 0.99) * 1000:.0f} ms, max {max(latences) * 1000:.0f} ms (goal p99 ≤ 2000 ms)"
    )
    print(
        f"  download (request → response): p50 {statistics.median(durees) * 1000:.0f} ms, "
        f"p99 {centile(durees, 0.99) * 1000:.0f} ms"
    )
    print(f"  webhooks received: {len(arrivees.ids)}, duplicates (same webhook-id): {doublons}")
    print(f"  server CPU: {cpu:.1f} s, {cpu / n * 1000:.0f} ms per retrieval, {cpu / fin:.0%} of one core")
    await debit(gros_session, gros_id, gros, len(gros_octets), args.repetitions)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--retraits", type=int, default=1000)
    parser.add_argument("--concurrence", type=int, default=16)
    parser.add_argument("--par-session", type=int, default=50, help="downloads per signed-in link (≤ 54)")
    parser.add_argument("--taille-mo", type=int, default=20)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--servir-fichier", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.servir_fichier is not None:
        chemin = arguments.servir_fichier
        asyncio.run(servir_fichier(chemin, chemin.stat().st_size, arguments.port))
    else:
        asyncio.run(main(arguments))
