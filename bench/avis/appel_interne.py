"""One call between two embedded services, over loopback TCP or in process: CPU per call.

The embedded deployment (development settings, SQLite in a temp directory) is served by uvicorn in
this process, as `signif serve` serves it. The coffre's own HTTP client then calls consent's session
check (`GET /consent/v1/interne/destinataires/sessions/{sid}`, service token, an unknown session:
consent reads its database and answers 404 problem+json), `--appels` times one after the other:
first with the clients going over TCP to the port (`build_apps` without a transport, as before
session 5), then in process (`create_embedded_app`: `signif.interne.TransportInterne`). Printed for
each: CPU of this process (client and server sides together, from `time.process_time`) and wall
time per call. Nothing is asserted.

    .venv/bin/python bench/avis/appel_interne.py --appels 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared.migrate import upgrade  # noqa: E402
from shared.serveur import OPTIONS_UVICORN, protocole_borne  # noqa: E402
from signif.embedded import SERVICES, EmbeddedApp, build_apps, create_embedded_app  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def mesurer(app: EmbeddedApp, port: int, appels: int) -> tuple[float, float]:
    config = uvicorn.Config(
        app, port=port, log_config=None, access_log=False, http=protocole_borne(), **OPTIONS_UVICORN
    )
    serveur = uvicorn.Server(config)
    tache = asyncio.create_task(serveur.serve())
    for _ in range(600):  # up to 30 s
        if serveur.started:
            break
        await asyncio.sleep(0.05)
    coffre = app.apps["coffre"].state.coffre
    url = f"{coffre.settings.url_of('consent')}/consent/v1/interne/destinataires/sessions/inconnue"
    entetes = {"Authorization": f"Bearer {coffre.tokens.token_for('consent')}"}
    try:
        for _ in range(50):  # warm-up
            assert (await coffre.http.get(url, headers=entetes)).status_code == 404
        cpu, mur = time.process_time(), time.perf_counter()
        for _ in range(appels):
            await coffre.http.get(url, headers=entetes)
        return (time.process_time() - cpu) / appels, (time.perf_counter() - mur) / appels
    finally:
        serveur.should_exit = True
        await tache


async def main(args: argparse.Namespace) -> None:
    racine = Path(tempfile.mkdtemp(prefix="bench-appel-"))
    port = _port()
    reglages: dict[str, Any] = {
        "env": "development",
        "var_dir": racine,
        "public_url": f"http://127.0.0.1:{port}",
        "log_level": "WARNING",
        "run_jobs_in_process": False,
    }
    for service in SERVICES:
        await upgrade(service, f"sqlite+aiosqlite:///{racine / (service + '.db')}")
    modes: dict[str, Callable[[], EmbeddedApp]] = {
        "loopback TCP": lambda: EmbeddedApp(build_apps(overrides={s: dict(reglages) for s in SERVICES})),
        "in process": lambda: create_embedded_app(overrides={s: dict(reglages) for s in SERVICES}),
    }
    print(f"{args.appels} calls, coffre → consent session check (404), load {os.getloadavg()[0]:.2f}")
    for _ in range(args.tours):
        for nom, fabrique in modes.items():
            cpu, mur = await mesurer(fabrique(), port, args.appels)
            print(f"  {nom:13} CPU {cpu * 1000:.2f} ms/call, wall {mur * 1000:.2f} ms/call")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appels", type=int, default=2000)
    parser.add_argument("--tours", type=int, default=2, help="alternations of the two modes")
    asyncio.run(main(parser.parse_args()))
