"""Crash loop on the distributed topology (issue 12, point 3): three `signif serve <service>` processes
on PostgreSQL, blobs on S3 (moto), two competing `signif worker` processes — which alone run the jobs
(outbox relays, avis e-mails, webhook deliveries). While an office deposits actes (each with its
`Idempotency-Key`), a worker is killed with SIGKILL at seeded random instants (10 times by default)
and replaced by a new one; the office's receiver answers each webhook after 0.3 s, so kills land
with calls in flight.

Proven at the end: one acte per key, with the SHA-256 of its document, the same when the key is
replayed; each acte's `acte.envoye` event reached the receiver under exactly one `webhook-id` (repeated
deliveries allowed, with the same id only), signed; one delivery per event, delivered; no job left
running or failed in any service's database (every job a dead worker held was taken again after its
lease, `SIGNIF_JOBS_BAIL_SECONDES` = 4 s here).

`SIGNIF_CRASH_GRAINE` replays a run (the seed is printed), `SIGNIF_CRASH_TUES` sets the kills.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import random
from pathlib import Path

import httpx
import pytest

from shared.testing.s3 import moto_s3_server
from shared.testing.smtp import smtp_server
from shared.testing.webhooks import Answer, RecordedRequest, WebhookReceiver, webhook_receiver
from tests.e2e.deploiement import Deploiement, signature_valide
from tests.e2e.distribue_support import Distribue, attendre, distribue
from tests.e2e.test_crash_boucle import GRAINE, TUES, Etat, avec_reprise, deposer, signer_documents
from tests.e2e.test_histoire import DEBUT, commissaire, declarer_et_faire_accepter

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

BAIL = 4
DEPOTS = 8


def envoyes(recepteur: WebhookReceiver) -> list[RecordedRequest]:
    return [r for r in recepteur.to("/webhooks") if r.json()["type"] == "acte.envoye"]


async def tueur_de_workers(dist: Distribue, hasard: random.Random) -> list[float]:
    instants = []
    for _ in range(TUES):
        instant = hasard.uniform(0.2, 2.0)
        await asyncio.sleep(instant)
        victime = dist.workers.pop(hasard.randrange(len(dist.workers)))
        victime.kill()
        await victime.wait()
        instants.append(round(instant, 2))
        await dist.demarrer_un_worker()
    return instants


async def test_boucle_de_sigkill_des_workers(tmp_path: Path) -> None:
    print(f"\nboucle distribuée : graine {GRAINE} (SIGNIF_CRASH_GRAINE pour rejouer), {TUES} SIGKILL")  # noqa: T201
    hasard = random.Random(GRAINE)
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
                dep = dist.deploiement
                declaration_id = await declarer_et_faire_accepter(http, dep, smtp)
                abonnement = await http.post(
                    "/notify/v1/abonnements",
                    json={"url": f"{recepteur.url}/webhooks", "types": ["acte.envoye"]},
                    headers=commissaire(dep, "notify"),
                )
                assert abonnement.status_code == 201, abonnement.text
                secret = str(abonnement.json()["secret"])
                recepteur.route("POST", "/webhooks", Answer(200, delay=0.3))
                documents = (await signer_documents(tmp_path, dep.var))[:DEPOTS]

                etat = Etat()
                tueries = asyncio.create_task(tueur_de_workers(dist, hasard))
                for i, pdf in enumerate(documents):
                    cle = f"distribue-{GRAINE}-{i}"
                    acte_id = await avec_reprise(
                        etat, functools.partial(deposer, http, dep, declaration_id, cle, pdf)
                    )
                    etat.depots[cle] = (acte_id, hashlib.sha256(pdf).hexdigest())
                instants = await tueries
                print(f"{len(instants)} SIGKILL de workers après {instants} s")  # noqa: T201
                await verifier(http, dist, dep, etat, declaration_id, documents, recepteur, secret)


async def verifier(
    http: httpx.AsyncClient,
    dist: Distribue,
    dep: Deploiement,
    etat: Etat,
    declaration_id: str,
    documents: list[bytes],
    recepteur: WebhookReceiver,
    secret: str,
) -> None:
    async def tout_livre() -> bool:
        return len({r.json()["donnees"]["acte_id"] for r in envoyes(recepteur)}) == DEPOTS

    await attendre(tout_livre, "an acte.envoye webhook per acte", delai=BAIL + 60)

    async def plus_rien_en_cours() -> bool:
        for service in ("notify", "coffre", "consent"):
            if [
                j for j in await dist.jobs(service) if j["status"] in ("running", "pending") and j["attempts"]
            ]:
                return False
        return True

    await attendre(plus_rien_en_cours, "every job a dead worker held done", delai=BAIL + 60)
    actes = (
        await http.get("/coffre/v1/actes", params={"limite": 200}, headers=commissaire(dep, "coffre"))
    ).json()["elements"]
    assert len(actes) == DEPOTS
    par_id = {a["id"]: a for a in actes}
    for i, pdf in enumerate(documents):
        cle = f"distribue-{GRAINE}-{i}"
        acte_id, sha256 = etat.depots[cle]
        assert par_id[acte_id]["sha256"] == sha256
        assert await deposer(http, dep, declaration_id, cle, pdf) == acte_id
    ids: dict[str, set[str]] = {}
    for recu in envoyes(recepteur):
        assert signature_valide(secret, recu.headers, recu.body)
        ids.setdefault(recu.json()["donnees"]["acte_id"], set()).add(recu.headers["webhook-id"])
    assert set(ids) == set(par_id)
    assert all(len(v) == 1 for v in ids.values()), ids
    assert len({next(iter(v)) for v in ids.values()}) == DEPOTS
    livraisons = (await http.get("/notify/v1/livraisons", headers=commissaire(dep, "notify"))).json()[
        "elements"
    ]
    assert sorted(e["statut"] for e in livraisons) == ["livree"] * DEPOTS
    repris = 0
    for service in ("notify", "coffre", "consent"):
        jobs = await dist.jobs(service)
        assert not [j for j in jobs if j["status"] in ("running", "failed")], service
        repris += len([j for j in jobs if j["attempts"] > 1])
    print(f"{repris} jobs repris après la mort de leur worker ou un échec")  # noqa: T201
