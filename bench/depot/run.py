"""Benchmark of the acte deposit (`POST /coffre/v1/actes`), all gates included, against a baseline.

The coffre runs as its own process (uvicorn, development settings, SQLite and local blobs in a temp
directory, jobs off) so its memory can be watched; a consent stand-in answering the internal
verification contract runs in this process on another port. Documents are PDF/A-declared actes padded
to 1, 10 and 50 MB and signed with the embedded deployment's demo certificate (`signif dev sign`),
uploaded from disk as streamed multipart. Every deposit sends a differently signed copy, so each one
stores a new blob as real deposits do (not the already stored one). Each deposit carries a
`derogation_664` so the benchmark runs at any hour; every one must answer 201 `envoye`.

Printed per size: median and p95 time and MB/s of `--runs` deposits, beside the same files through
`openssl dgst -sha256` + `cp` + `sync` in the same run (the floor of "hash it and store it durably"),
and the ratio; then the server's CPU time (user + system, from /proc) per deposit of each size,
which the machine's other load disturbs far less than the wall-clock figures. Then the server's
peak RSS growth during one 50 MB deposit (sampled every 2 ms from /proc). Nothing is asserted.

    .venv/bin/python bench/depot/run.py --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
DEROGATION = {"ordonnance": "BENCH-1", "juridiction": "TJ Paris", "date": "2026-01-01"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def consent_stand_in() -> FastAPI:
    app = FastAPI()

    @app.post("/consent/v1/interne/verifications")
    async def verifier(request: Request) -> dict[str, Any]:
        await request.body()
        return {
            "consentement": True,
            "declaration_id": "decl-bench",
            "version": 1,
            "natures": ["*"],
            "canal": {"email": "x@example.org", "mobile": None},
            "commune_insee": "75056",
            "cour_appel": "paris",
            "fuseau": "Europe/Paris",
            "subdivision_feries": None,
        }

    return app


def _signed_pdfs(var_dir: Path, out: Path, sizes: list[int], copies: int) -> dict[int, list[Path]]:
    """`copies` signed actes per size: each signature makes the file unique, so every deposit
    stores a new blob (the common case) instead of finding the previous run's."""
    from services.coffre.documents import signer_pdf_octets
    from shared.devpki import dev_signer
    from shared.testing import pdfs

    signer = dev_signer(var_dir)
    files: dict[int, list[Path]] = {}
    for size in sizes:
        acte = pdfs.acte_pdfa(taille_min=size * MB - 256 * 1024)  # stays under the 50 MiB limit once signed
        files[size] = []
        for copy in range(copies):
            path = out / f"acte-{size}mo-{copy}.pdf"
            path.write_bytes(signer_pdf_octets(acte, signer))
            files[size].append(path)
    return files


def _baseline(path: Path, scratch: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["openssl", "dgst", "-sha256", str(path)], check=True, capture_output=True)
    shutil.copyfile(path, scratch / path.name)
    subprocess.run(["sync"], check=True)
    elapsed = time.perf_counter() - start
    (scratch / path.name).unlink()
    return elapsed


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid`."""
    champs = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(champs[11]) + int(champs[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _deposer(client: httpx.AsyncClient, token: str, path: Path) -> float:
    meta = json.dumps(
        {
            "reference_dossier": "BENCH",
            "nature": "assignation",
            "requerant": {"nom": "Bench"},
            "destinataire": {"declaration_id": "decl-bench"},
            "derogation_664": DEROGATION,
        }
    )
    with path.open("rb") as fh:
        start = time.perf_counter()
        response = await client.post(
            "/coffre/v1/actes",
            headers={"Authorization": f"Bearer {token}"},
            files=[
                ("metadonnees", (None, meta.encode(), "application/json")),
                ("document", (path.name, fh, "application/pdf")),
            ],
        )
        elapsed = time.perf_counter() - start
    if response.status_code != 201 or response.json()["statut"] != "envoye":
        raise RuntimeError(f"deposit failed: {response.status_code} {response.text[:300]}")
    return elapsed


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> None:
    from shared.issuer import DevIssuer

    work = Path(tempfile.mkdtemp(prefix="bench-depot-"))
    var_dir, scratch = work / "var", work / "scratch"
    scratch.mkdir()
    consent_port, coffre_port = _port(), _port()
    env = {
        **os.environ,
        "SIGNIF_ENV": "development",
        "SIGNIF_VAR_DIR": str(var_dir),
        "SIGNIF_RUN_JOBS": "false",
        "SIGNIF_CONSENT_URL": f"http://127.0.0.1:{consent_port}",
        "SIGNIF_LOG_LEVEL": "WARNING",
        "COFFRE_TACHES_PERIODIQUES": "false",
    }
    python = sys.executable
    migrate = await asyncio.create_subprocess_exec(
        python, "-m", "signif.cli", "migrate", "coffre", env=env, cwd=ROOT
    )
    if await migrate.wait() != 0:
        raise RuntimeError("migration failed")
    print("building signed PDFs...", flush=True)
    # Per size: one acte per run, then one for the warm-up and one for the RSS watch.
    files = await asyncio.to_thread(_signed_pdfs, var_dir, work, args.sizes, args.runs + 2)

    server = uvicorn.Server(uvicorn.Config(consent_stand_in(), port=consent_port, log_level="warning"))
    consent_task = asyncio.create_task(server.serve())
    uvicorn_args = [
        "-m",
        "uvicorn",
        "services.coffre.main:app",
        "--port",
        str(coffre_port),
        "--log-level",
        "warning",
    ]
    coffre = await asyncio.create_subprocess_exec(python, *uvicorn_args, env=env, cwd=ROOT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{coffre_port}", timeout=120) as client:
            for _ in range(600):  # up to a minute: it starts slowly on a loaded machine
                try:
                    if (await client.get("/coffre/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            office = {
                "id": "office-bench",
                "nom": "Office bench",
                "commune_insee": "75056",
                "cour_appel": "paris",
            }
            token = DevIssuer(var_dir / "keys").token(
                role="commissaire", sub="bench", audience="coffre", nom="Me Bench", office=office
            )
            await _deposer(client, token, files[min(files)][args.runs])  # warm-up
            print(f"{'size':>6} {'median s':>9} {'p95 s':>7} {'MB/s':>7} | ", end="")
            print(f"{'openssl+cp+sync s':>17} {'MB/s':>7} | ratio")
            cpu: dict[int, float] = {}
            for size, paths in files.items():
                debut_cpu = _cpu(coffre.pid)
                times = [await _deposer(client, token, path) for path in paths[: args.runs]]
                cpu[size] = (_cpu(coffre.pid) - debut_cpu) / args.runs
                base = [_baseline(path, scratch) for path in paths[: args.runs]]
                path = paths[0]
                mb = path.stat().st_size / MB
                med, bmed = statistics.median(times), statistics.median(base)
                print(
                    f"{size:>4}MB {med:>9.3f} {_p95(times):>7.3f} {mb / med:>7.1f} | {bmed:>17.3f} "
                    f"{mb / bmed:>7.1f} | {bmed / med:>5.2f}"
                )

            par_taille = ", ".join(f"{size} MB {ms * 1000:.1f} ms" for size, ms in cpu.items())
            print(f"server CPU per deposit: {par_taille}")
            largest = files[max(files)][args.runs + 1]
            baseline_kb, peak_kb, stop = _rss_kb(coffre.pid), 0, threading.Event()

            def sample() -> None:
                nonlocal peak_kb
                while not stop.is_set():
                    peak_kb = max(peak_kb, _rss_kb(coffre.pid))
                    time.sleep(0.002)

            sampler = threading.Thread(target=sample)
            sampler.start()
            await _deposer(client, token, largest)
            stop.set()
            sampler.join()
            print(
                f"server RSS during a {largest.stat().st_size / MB:.0f} MB deposit: baseline "
                f"{baseline_kb / 1024:.0f} MB, peak {peak_kb / 1024:.0f} MB, growth "
                f"{(peak_kb - baseline_kb) / 1024:.0f} MB"
            )
    finally:
        coffre.terminate()
        await coffre.wait()
        server.should_exit = True
        await consent_task
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50], help="sizes in MB")
    asyncio.run(main(parser.parse_args()))
