"""Benchmark of the notify half of the avis flow: event intake → signed webhook at a local receiver.

notify runs under uvicorn in a thread of this process (development settings, SQLite in a temp
directory, job runner in process, as in the embedded deployment); a real HTTP receiver on 127.0.0.1
plays the office's software. `--events` `acte.pris_connaissance` events are posted with
`--concurrency` in flight, as the coffre's outbox relay would after each first download. Printed:
intake rate (events/s), and the latency from each intake response to the webhook's arrival at the
receiver (p50, p95, p99, max; goal p99 ≤ 2 s), measured by polling the receiver every 2 ms.

The retrieval half (1,000 downloads through the coffre and the 20 MB download beside a plain file
read) belongs with the coffre's retrieval pages. Nothing is asserted.

    .venv/bin/python bench/avis/run.py --events 1000 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.notify.app import create_app  # noqa: E402
from services.notify.settings import NotifySettings  # noqa: E402
from shared.migrate import upgrade  # noqa: E402
from shared.testing.apps import commissaire_claims, issuer_for  # noqa: E402
from shared.testing.webhooks import webhook_receiver  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_in_thread(settings: NotifySettings, port: int) -> uvicorn.Server:
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(events: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = NotifySettings(env="development", var_dir=Path(tmp), log_json=True, log_level="WARNING")
        await upgrade("notify", settings.effective_database_url)
        port = _port()
        server = _serve_in_thread(settings, port)
        issuer = issuer_for(settings)
        service = {"Authorization": "Bearer " + issuer.token(role="service", sub="bench", audience="notify")}
        office = {
            "Authorization": "Bearer "
            + issuer.token(role="commissaire", sub="cj-bench", audience="notify", **commissaire_claims())
        }
        base = f"http://127.0.0.1:{port}"
        async with webhook_receiver() as receiver, httpx.AsyncClient(base_url=base, timeout=30) as client:
            created = await client.post(
                "/notify/v1/abonnements",
                json={"url": receiver.url + "/hook", "types": ["acte.pris_connaissance"]},
                headers=office,
            )
            created.raise_for_status()
            answered: dict[str, float] = {}
            arrived: dict[str, float] = {}
            queue: asyncio.Queue[int] = asyncio.Queue()
            for i in range(events):
                queue.put_nowait(i)

            async def poll() -> None:
                seen = 0
                while len(arrived) < events:
                    now = time.perf_counter()
                    for request in receiver.requests[seen:]:
                        arrived.setdefault(request.headers["webhook-id"], now)
                    seen = len(receiver.requests)
                    await asyncio.sleep(0.002)

            async def post() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    event_id = str(uuid.uuid4())
                    body = {
                        "id": event_id,
                        "type": "acte.pris_connaissance",
                        "source": "coffre",
                        "cree_le": "2026-11-24T09:00:00Z",
                        "donnees": {
                            "acte_id": f"acte-{i}",
                            "office_id": "office-paris-1",
                            "sha256": "00" * 32,
                        },
                    }
                    response = await client.post("/notify/v1/evenements", json=body, headers=service)
                    response.raise_for_status()
                    answered[event_id] = time.perf_counter()

            poller = asyncio.create_task(poll())
            start = time.perf_counter()
            await asyncio.gather(*(post() for _ in range(concurrency)))
            intake = time.perf_counter() - start
            await asyncio.wait_for(poller, timeout=120)
            total = time.perf_counter() - start
        server.should_exit = True
        latencies = [arrived[i] - answered[i] for i in answered]
        print(f"events: {events}, concurrency: {concurrency}")
        print(f"intake: {events / intake:.0f} events/s ({intake:.2f} s)")
        print(f"all webhooks delivered after {total:.2f} s ({events / total:.0f} webhooks/s)")
        print(
            "intake response → webhook arrival: "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {_pct(latencies, 0.95) * 1000:.0f} ms, "
            f"p99 {_pct(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
            "(goal p99 ≤ 2000 ms)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.concurrency))
