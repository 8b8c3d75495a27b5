"""Benchmark of the distributed topology end to end: 1 MB deposits, then first downloads.

The topology is the suite's own (`tests/e2e/distribue_support.distribue`, as bench/soak): each
service as its own `signif serve <service>` process on its own throw-away PostgreSQL database
(127.0.0.1:5432, created, migrated, dropped), blobs on moto's S3 server on loopback (here in a
process of its own, Object Lock bucket), two `signif worker` processes, an SMTP sink and a webhook
receiver in this process, every process on the pinned test clock (10:00 Paris, next working day).

Setup (not measured): one destinataire declares and is accepted; the office subscribes the receiver
to `acte.envoye` and `acte.pris_connaissance`; `--depots` + `--concurrence` copies of a 1 MB PDF/A
acte are signed afresh each (`signif dev sign`'s code), so every deposit stores a new blob; the
first `--concurrence` are deposited as a warm-up.

Measured, each phase until its last webhook has arrived and no job due is left in any database:

1. deposits: `--depots` × `POST /coffre/v1/actes`, `--concurrence` in flight; per acte, the deposit's
   201 → its `acte.envoye` webhook; the avis de mise à disposition e-mails;
2. sign-ins (one per `--par-session` actes, one after the other, on distinct links): the steps of
   `bench.commun.ouvrir_session` (password, the code's e-mail, the code, the signed-in page);
3. first downloads: every acte deposited in phase 1 downloaded once by its destinataire (the
   authenticated POST naming it: a prise de connaissance each), `--retraits-concurrence` in flight,
   the bytes checked against the deposited acte's SHA-256; per acte, the download's response → its
   `acte.pris_connaissance` webhook.

Printed: deposits/s and first downloads/s, every step's p50/p99/max, the CPU milliseconds per
deposit and per first download of each process (`bench/flux/releve.py`), then the floor of each
path in the same run (`releve.plancher`) and the ratio. Nothing is asserted.

    .venv/bin/python -m bench.flux.run --depots 1000
    .venv/bin/python -m bench.flux.run --depots 32 --par-session 16    # a dry run
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.commun import (
    MB,
    Arrivees,
    Session,
    charge,
    copies_signees,
    en_parallele,
    ouvrir_session,
    telecharger,
)
from bench.distribue import dix_heures, jobs_dus, jour_ouvre_apres, moto_processus, processus, tailles
from bench.flux.rapport import capacite, rapport
from bench.flux.releve import BANC, Releve, plancher
from shared.testing.pdfs import acte_pdfa
from shared.testing.smtp import ReceivedMail, SmtpServer, smtp_server
from shared.testing.webhooks import webhook_receiver
from tests.e2e.deploiement import lien_dans
from tests.e2e.distribue_support import Distribue, attendre, distribue
from tests.e2e.test_histoire import commissaire, declarer_et_faire_accepter

ENVOYE, PRIS = "acte.envoye", "acte.pris_connaissance"
ENV = {
    "SIGNIF_LOG_LEVEL": "WARNING",
    # One client address and one account sign in and download hundreds of times on a clock that
    # does not move: the per-address and per-account limits out of the way (as bench/soak, avis).
    "COFFRE_RETRAIT_PAGES_PAR_CLIENT": "1000000",
    "COFFRE_RETRAIT_CONNEXIONS_PAR_CLIENT": "1000000",
    "COFFRE_RETRAIT_INCONNUS_PAR_CLIENT": "1000000",
    "CONSENT_DEFIS_PAR_CLIENT": "1000000",
    "CONSENT_DEFIS_PAR_HEURE": "1000000",
    "CONSENT_DEFIS_PAR_JOUR": "1000000",
}


class Courriels(list[ReceivedMail]):
    """The SMTP sink's list (`smtp.received = Courriels()`), stamping each mail's arrival."""

    def __init__(self) -> None:
        super().__init__()
        self.instants: list[float] = []

    def append(self, mail: ReceivedMail) -> None:
        self.instants.append(time.perf_counter())
        super().append(mail)

    def avis(self) -> list[tuple[float, ReceivedMail]]:
        """The avis de mise à disposition (the mails carrying a retrieval link), with their instant."""
        return [
            (t, m) for t, m in zip(self.instants, self, strict=True) if "/coffre/retrait/" in m.raw.decode()
        ]


async def calme(dist: Distribue, instant: datetime, delai: float = 600) -> None:
    """Until no job due on the servers' clock is pending or running in any database."""

    async def aucun() -> bool:
        return not await jobs_dus(dist, instant)

    await attendre(aucun, "no job due", delai=delai)


@dataclass
class Flux:
    dist: Distribue
    http: httpx.AsyncClient
    args: argparse.Namespace
    smtp: SmtpServer
    courriels: Courriels
    arrivees: Arrivees
    instant: datetime  # the servers' pinned clock
    etapes: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    empreintes: dict[str, str] = field(default_factory=dict)  # acte id → SHA-256 of its bytes
    entetes: dict[str, str] = field(default_factory=dict)

    async def deposer(self, declaration_id: str, document: bytes, reponses: dict[str, float]) -> None:
        meta = {
            "reference_dossier": f"FLUX-{len(reponses)}",
            "nature": "signification_decision",
            "requerant": {"nom": "SCI Les Tilleuls"},
            "destinataire": {"declaration_id": declaration_id},
        }
        depuis = time.perf_counter()
        reponse = await self.http.post(
            "/coffre/v1/actes",
            headers=self.entetes,
            files=[
                ("metadonnees", (None, json.dumps(meta).encode(), "application/json")),
                ("document", ("acte.pdf", document, "application/pdf")),
            ],
        )
        instant = time.perf_counter()
        if reponse.status_code != 201 or reponse.json()["statut"] != "envoye":
            raise RuntimeError(f"deposit: {reponse.status_code} {reponse.text[:300]}")
        self.etapes["depot"].append(instant - depuis)
        acte_id = str(reponse.json()["id"])
        reponses[acte_id] = instant
        self.empreintes[acte_id] = hashlib.sha256(document).hexdigest()

    async def retirer(self, session: Session, acte_id: str, reponses: dict[str, float]) -> None:
        depuis = time.perf_counter()
        reponse, entetes = await telecharger(session, acte_id)
        instant = time.perf_counter()
        if reponse.status_code != 200:
            raise RuntimeError(f"download: {reponse.status_code} {reponse.headers.get('location', '')}")
        if hashlib.sha256(reponse.content).hexdigest() != self.empreintes[acte_id]:
            raise RuntimeError(f"download of {acte_id}: not the deposited bytes")
        self.etapes["telechargement"].append(instant - depuis)
        reponses[acte_id] = entetes  # the webhook's latency counts from the answer, not its body's end


async def preparer(flux: Flux, recepteur: str) -> tuple[str, list[bytes], dict[str, float]]:
    """The destinataire accepted, the office's subscription, the signed copies, the warm-up
    deposits: (declaration id, the documents to deposit, the warm-up actes)."""
    args, dist, http = flux.args, flux.dist, flux.http
    flux.entetes = commissaire(dist.deploiement, "coffre")
    declaration_id = await declarer_et_faire_accepter(http, dist.deploiement, flux.smtp)
    abonnement = await http.post(
        "/notify/v1/abonnements",
        json={"url": f"{recepteur}/webhooks", "types": [ENVOYE, PRIS]},
        headers=commissaire(dist.deploiement, "notify"),
    )
    assert abonnement.status_code == 201, abonnement.text
    n = args.depots + args.concurrence
    print(f"signing {n} copies of a 1 MB acte...", flush=True)
    acte = acte_pdfa(titre="Signification (bench/flux)", taille_min=MB - 64 * 1024)
    documents = await asyncio.to_thread(lambda: list(copies_signees(dist.racine / "var", acte, n)))
    print(f"  {len(documents[0]) / MB:.2f} MB each; warm-up...", flush=True)
    echauffement: dict[str, float] = {}
    await en_parallele(
        documents[: args.concurrence],
        args.concurrence,
        lambda d: flux.deposer(declaration_id, d, echauffement),
    )
    await flux.arrivees.attendre(ENVOYE, echauffement)
    await calme(dist, flux.instant)
    flux.etapes.clear()
    return declaration_id, documents[args.concurrence :], echauffement


async def mesurer(
    flux: Flux, recepteur: str, pids: dict[str, int]
) -> tuple[dict[str, tuple[int, float]], dict[str, dict[str, float]], list[float], list[bytes]]:
    """The three phases; (count and seconds of each path, CPU seconds per process of each path,
    the load averages, the documents deposited)."""
    args, dist, http, arrivees = flux.args, flux.dist, flux.http, flux.arrivees
    bases = {s: url.rsplit("/", 1)[1] for s, url in dist.database_urls.items()}
    declaration_id, documents, echauffement = await preparer(flux, recepteur)
    charges, avant = [charge()], await tailles(dist)

    print(f"deposits: {args.depots}, {args.concurrence} in flight...", flush=True)
    depots: dict[str, float] = {}
    cpu: dict[str, dict[str, float]] = {}
    async with Releve(pids, bases) as releve:
        _, duree_depots = await en_parallele(
            documents, args.concurrence, lambda d: flux.deposer(declaration_id, d, depots)
        )
        await arrivees.attendre(ENVOYE, depots)
        await calme(dist, flux.instant)
    cpu["depot"] = releve.secondes
    charges.append(charge())
    flux.etapes["webhook_envoye"] = [arrivees.par_type[ENVOYE][a] - t for a, t in depots.items()]
    avis = flux.courriels.avis()
    dernier = (avis[-1][0] - max(depots.values())) * 1000
    print(f"  avis e-mails: {len(avis)} (warm-up included), the last {dernier:.0f} ms after the last deposit")

    k = math.ceil(args.depots / args.par_session)
    print(f"sign-ins: {k}, one after the other...", flush=True)
    sessions = []
    for _, mail in avis[:k]:
        sessions.append(
            await ouvrir_session(
                http, flux.smtp, lien_dans(mail.message), lambda e, s: flux.etapes[e].append(s)
            )
        )
    # The warm-up actes' first downloads, not measured.
    await en_parallele(
        list(echauffement), args.retraits_concurrence, lambda a: flux.retirer(sessions[0], a, {})
    )
    flux.etapes["telechargement"].clear()
    await arrivees.attendre(PRIS, echauffement)
    await calme(dist, flux.instant)

    print(f"first downloads: {len(depots)}, {args.retraits_concurrence} in flight...", flush=True)
    retraits: dict[str, float] = {}
    actes = list(depots)
    async with Releve(pids, bases) as releve:
        _, duree_retraits = await en_parallele(
            range(len(actes)),
            args.retraits_concurrence,
            lambda i: flux.retirer(sessions[i % k], actes[i], retraits),
        )
        await arrivees.attendre(PRIS, actes)
        await calme(dist, flux.instant)
    cpu["retrait"] = releve.secondes
    charges.append(charge())
    flux.etapes["webhook_pris_connaissance"] = [arrivees.par_type[PRIS][a] - t for a, t in retraits.items()]
    print(f"  webhooks: {len(arrivees.ids)} received, {arrivees.doublons()} duplicates (same webhook-id)")
    apres = await tailles(dist)
    croissance = ", ".join(f"{s} {(apres[s] - avant[s]) / len(depots) / 1024:.1f}" for s in apres)
    print(f"  database growth per acte (deposit + first download), kB: {croissance}")
    debits = {"depot": (len(depots), duree_depots), "retrait": (len(retraits), duree_retraits)}
    return debits, cpu, charges, documents


async def main(args: argparse.Namespace) -> None:
    racine = Path(tempfile.mkdtemp(prefix="bench-flux-"))
    instant = dix_heures(jour_ouvre_apres(datetime.now(UTC).date()))
    print(
        f"flux: {args.depots} deposits of 1 MB ({args.concurrence} in flight), first downloads "
        f"({args.retraits_concurrence} in flight), clock {instant.isoformat()}, work dir {racine}",
        flush=True,
    )
    try:
        async with (
            smtp_server() as smtp,
            webhook_receiver() as recepteur,
            moto_processus(racine / "moto.log") as (s3, moto),
        ):
            courriels, arrivees = Courriels(), Arrivees()
            smtp.received, recepteur.requests = courriels, arrivees
            async with (
                distribue(racine, maintenant=instant, smtp=smtp, s3=s3, env_extra=ENV) as dist,
                dist.client() as http,
            ):
                pids = processus(dist, banc=BANC) | {"moto (S3)": moto}
                print(f"topology ready: {pids}", flush=True)
                flux = Flux(dist, http, args, smtp, courriels, arrivees, instant)
                debits, cpu, charges, documents = await mesurer(flux, recepteur.url, pids)
                print("floor...", flush=True)
                planchers = await plancher(s3, documents, args.concurrence, args.retraits_concurrence)
                rapport(flux.etapes, args, debits, cpu, planchers, charges)
                capacite(args, debits, cpu)
    finally:
        if not args.garder:
            shutil.rmtree(racine, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--depots", type=int, default=1000, help="1 MB deposits measured (and as many first downloads)"
    )
    parser.add_argument("--concurrence", type=int, default=8, help="deposits in flight")
    parser.add_argument("--retraits-concurrence", type=int, default=16, help="first downloads in flight")
    parser.add_argument("--par-session", type=int, default=50, help="downloads per signed-in link")
    parser.add_argument("--pic-depots", type=float, default=100, help="capacity: deposits/s at the peak")
    parser.add_argument("--pic-retraits", type=float, default=100, help="capacity: first downloads/s")
    parser.add_argument("--pic-consultations", type=float, default=1000, help="capacity: consent checks/s")
    parser.add_argument(
        "--consultation-ms",
        type=float,
        nargs=2,
        default=(1.59, 0.62),
        metavar=("SERVEUR", "POSTGRES"),
        help="CPU ms per consent check of consent and PostgreSQL (bench/consultations at 10,000,000)",
    )
    parser.add_argument(
        "--utilisation", type=float, default=0.6, help="capacity: target busy share of a core"
    )
    parser.add_argument("--garder", action="store_true", help="keep the work dir (every process's log)")
    asyncio.run(main(parser.parse_args()))
