"""A worker killed while it holds a job (issue 12, point 3, distributed topology): three `signif serve
<service>` processes on PostgreSQL, blobs on S3 (moto), two competing `signif worker` processes.

The office's receiver holds the first webhook call open (it answers after 60 s); the worker whose
connection it is (found through /proc: the process owning the socket connected to the receiver) is
killed with SIGKILL while the call is in flight. The other worker must take the job again once the
dead worker's lease has run out — leases last `SIGNIF_JOBS_BAIL_SECONDES` (here 5 s; 30 s by
default) and are renewed only while their worker lives — and deliver it, under the same `webhook-id`.

Asserted: the second call arrives within the lease plus 10 s of the kill; every call carries the same
`webhook-id` and a valid signature; the delivery is recorded delivered once; every job the dead worker
held is done by the other within the lease (none left running, none failed).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from shared.testing.s3 import moto_s3_server
from shared.testing.smtp import SmtpServer, smtp_server
from shared.testing.webhooks import Answer, RecordedRequest, WebhookReceiver, webhook_receiver
from tests.e2e.deploiement import signature_valide
from tests.e2e.distribue_support import Distribue, attendre, distribue
from tests.e2e.test_histoire import DEBUT, commissaire, declarer_et_faire_accepter, deposer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

BAIL = 5


def _inodes_connectes_a(port: int) -> set[str]:
    """Socket inodes of the established TCP connections to 127.0.0.1:`port` (/proc/net/tcp)."""
    inodes = set()
    with open("/proc/net/tcp") as table:
        next(table)
        for ligne in table:
            champs = ligne.split()
            distant, etat, inode = champs[2], champs[3], champs[9]
            if etat == "01" and int(distant.split(":")[1], 16) == port:
                inodes.add(inode)
    return inodes


def detenteur(workers: list[asyncio.subprocess.Process], port: int) -> asyncio.subprocess.Process | None:
    """The worker process holding a connection to the receiver's port."""
    inodes = _inodes_connectes_a(port)
    for worker in workers:
        for fd in os.listdir(f"/proc/{worker.pid}/fd"):
            try:
                cible = os.readlink(f"/proc/{worker.pid}/fd/{fd}")
            except OSError:
                continue
            if cible.startswith("socket:[") and cible[8:-1] in inodes:
                return worker
    return None


def envoyes(recepteur: WebhookReceiver) -> list[RecordedRequest]:
    return [r for r in recepteur.to("/webhooks") if r.json()["type"] == "acte.envoye"]


async def test_un_worker_tue_pendant_un_appel_de_webhook(tmp_path: Path) -> None:
    async with smtp_server() as smtp, webhook_receiver() as recepteur:
        with moto_s3_server() as s3:
            async with (
                distribue(
                    tmp_path,
                    maintenant=DEBUT,
                    smtp=smtp,
                    s3=s3,
                    env_extra={"SIGNIF_JOBS_BAIL_SECONDES": str(BAIL)},
                ) as dist,
                dist.client() as http,
            ):
                await scenario(http, dist, smtp, recepteur, tmp_path)


async def scenario(
    http: httpx.AsyncClient, dist: Distribue, smtp: SmtpServer, recepteur: WebhookReceiver, tmp_path: Path
) -> None:
    dep = dist.deploiement
    declaration_id = await declarer_et_faire_accepter(http, dep, smtp)
    abonnement = await http.post(
        "/notify/v1/abonnements",
        json={"url": f"{recepteur.url}/webhooks", "types": ["acte.envoye"]},
        headers=commissaire(dep, "notify"),
    )
    assert abonnement.status_code == 201, abonnement.text
    secret = str(abonnement.json()["secret"])
    recepteur.respond(Answer(200, delay=60))  # the first call hangs: a worker holds the job

    acte_id = await deposer(http, dep, tmp_path, declaration_id)

    async def en_vol() -> bool:
        return bool(envoyes(recepteur)) and detenteur(dist.workers, recepteur.port) is not None

    await attendre(en_vol, "the webhook call in flight", delai=60)
    tue = detenteur(dist.workers, recepteur.port)
    assert tue is not None
    tue.send_signal(signal.SIGKILL)
    assert await tue.wait() == -signal.SIGKILL
    instant_mort = time.monotonic()
    services = ("notify", "coffre", "consent")
    # The jobs running at the instant of the kill (the dead worker's, and maybe some of the live one's):
    # each must end done (or pending again, for a periodic job), never left running nor failed.
    tenus = {s: {j["id"] for j in await dist.jobs(s) if j["status"] == "running"} for s in services}
    assert tenus["notify"], "the webhook job is running in notify at the instant of the kill"

    async def relivre() -> bool:
        return len(envoyes(recepteur)) >= 2

    await attendre(relivre, "the job taken again by the other worker", delai=BAIL + 10)
    delai = time.monotonic() - instant_mort
    print(f"\nworker tué (SIGKILL) : appel repris par l'autre {delai:.1f} s après (bail {BAIL} s)")  # noqa: T201
    assert delai <= BAIL + 10, delai

    async def livree() -> bool:
        reponse = await http.get("/notify/v1/livraisons", headers=commissaire(dep, "notify"))
        return any(e["statut"] == "livree" for e in reponse.json()["elements"])

    await attendre(livree, "the delivery recorded", delai=20)
    recus = envoyes(recepteur)
    assert len({r.headers["webhook-id"] for r in recus}) == 1, [r.headers["webhook-id"] for r in recus]
    for recu in recus:
        assert signature_valide(secret, recu.headers, recu.body)
        assert recu.json()["donnees"]["acte_id"] == acte_id
    livraisons = (await http.get("/notify/v1/livraisons", headers=commissaire(dep, "notify"))).json()[
        "elements"
    ]
    assert [e["statut"] for e in livraisons] == ["livree"]

    # Whatever else the dead worker held (the avis e-mail's job, a relay) is taken again and done too.
    # Only the jobs held at the kill are awaited: the live worker may take a new job at any instant.
    async def tenus_finis() -> bool:
        for service, ids in tenus.items():
            etats = {j["id"]: j["status"] for j in await dist.jobs(service)}
            if any(etats[i] not in {"done", "pending"} for i in ids):
                return False
        return True

    await attendre(tenus_finis, "every job held at the kill done", delai=BAIL + 15)
    for service in services:
        assert "failed" not in {j["status"] for j in await dist.jobs(service)}, service
