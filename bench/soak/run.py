"""Soak benchmark: mixed load for `--duree` seconds on the distributed topology, first vs last window.

The topology is the suite's own (`tests/e2e/distribue_support.distribue`): each service as its own
`signif serve <service>` process on its own throw-away PostgreSQL database (127.0.0.1:5432, created
and dropped), blobs on a real S3 endpoint (moto's server on loopback, Object Lock bucket), two
`signif worker` processes competing for the jobs and outbox relays, an SMTP sink and a webhook
receiver in this process. Every process runs on the pinned test clock.

`--clients` loops each repeat one cycle with a new person:

- `declaration`: consent's API — declaration, e-mailed code, two pièces, submission, operator's
  acceptance;
- `depot`: a freshly signed PDF/A acte deposited in the coffre with an `Idempotency-Key`, then
  `depot_rejeu`: the same request with the same key, which must give back the same acte;
- `avis`: from the deposit's 201 to the avis de mise à disposition e-mail (outbox relay, notify's
  job, SMTP — all done by the workers);
- `retrait`: the destinataire's first download (prise de connaissance) over the retrieval pages:
  password, e-mailed code, download of the very PDF deposited;
- `webhook`: from the download to the `acte.pris_connaissance` delivery at the receiver (signature
  checked; a second webhook-id for the same event counts as an error).

Every `--jour` seconds the end-of-day job: new cycles wait, the servers' clocks move to 10:00 on
the next working day (`POST /_test/horloge`), the workers restart at that instant (their clock is
their `SIGNIF_NOW`), and `fin_de_journee` is the time until no job due by then is left pending or
running in any database (the acte's mode, fixed past midnight, among them).

Every `--echantillon` seconds: each process's RSS and open file descriptors (/proc/<pid>), and each
database's queue depths read with SQL (jobs pending/running, outbox rows not relayed, log queue
`journal_pending`, its PostgreSQL connections), and /proc/loadavg.

Printed at the end, for the first and the last `--fenetre` seconds: each step's count, p50, p99
and errors; the largest RSS, fd count and queue depth seen; and the ratio last/first for each. It
asserts nothing about time.

    .venv/bin/python -m bench.soak.run --duree 1800 --fenetre 300
    .venv/bin/python -m bench.soak.run --duree 120 --fenetre 30 --jour 40   # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import tempfile
import time
import traceback
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.commun import charge
from bench.distribue import connecter, dix_heures, enfants, jobs_dus, jour_ouvre_apres, processus
from services.coffre.documents.signing import dev_sign
from shared.testing.pdfs import acte_pdfa
from shared.testing.s3 import moto_s3_server
from shared.testing.smtp import ReceivedMail, SmtpServer, smtp_server
from shared.testing.webhooks import WebhookReceiver, webhook_receiver
from tests.e2e.deploiement import SERVICES, code_dans, lien_dans, signature_valide
from tests.e2e.distribue_support import Distribue, Retrait, distribue
from tests.e2e.test_histoire import MOT_DE_PASSE, PIECE, commissaire, declaration

ETAPES = ("declaration", "depot", "depot_rejeu", "avis", "retrait", "webhook", "fin_de_journee")
DELAI = 90.0  # seconds a step may wait for a mail or a webhook before it counts as an error


# --- measures ------------------------------------------------------------------------------------


@dataclass
class Mesures:
    debut: float = field(default_factory=time.monotonic)
    etapes: list[tuple[float, str, float, bool]] = field(default_factory=list)  # t, step, seconds, ok
    echantillons: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    erreurs_vues: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def t(self) -> float:
        return time.monotonic() - self.debut

    def noter(self, etape: str, depuis: float, ok: bool) -> None:
        self.etapes.append((self.t(), etape, time.monotonic() - depuis, ok))


class Etape:
    """`async with Etape(mesures, "depot"):` times the block; an exception counts as an error
    (its first lines are printed once per kind) and propagates."""

    def __init__(self, mesures: Mesures, nom: str) -> None:
        self.mesures, self.nom = mesures, nom

    async def __aenter__(self) -> Etape:
        self.depuis = time.monotonic()
        return self

    async def __aexit__(self, typ: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, asyncio.CancelledError):
            return
        self.mesures.noter(self.nom, self.depuis, exc is None)
        if exc is not None:
            message = re.sub(r"/retrait/[A-Za-z0-9_\-]+", "/retrait/…", str(exc))
            message = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "…", message)
            cle = f"{self.nom}: {type(exc).__name__}: {message[:160]}"
            self.mesures.erreurs_vues[cle] += 1
            if self.mesures.erreurs_vues[cle] == 1:
                print(f"[{self.mesures.t():7.1f}s] erreur {cle}", flush=True)


# --- mail and webhooks, drained so that nothing in this process grows with the run ----------------


class Boites:
    """The SMTP sink's mails, sorted by recipient as they arrive and removed once read."""

    def __init__(self, smtp: SmtpServer) -> None:
        self.smtp = smtp
        self.par_adresse: dict[str, list[ReceivedMail]] = defaultdict(list)

    def relever(self) -> None:
        arrives = self.smtp.received[:]
        del self.smtp.received[: len(arrives)]
        for mail in arrives:
            for adresse in mail.rcpt_tos:
                self.par_adresse[adresse].append(mail)

    async def attendre(self, adresse: str, marque: str) -> ReceivedMail:
        """The first mail to `adresse` whose raw text holds `marque` (removed from the box)."""
        limite = time.monotonic() + DELAI
        while True:
            self.relever()
            boite = self.par_adresse.get(adresse, [])
            for i, mail in enumerate(boite):
                if marque in mail.raw.decode(errors="replace"):
                    del boite[i]
                    return mail
            if time.monotonic() > limite:
                raise TimeoutError(f"no mail '{marque}' to {adresse} after {DELAI:.0f} s")
            await asyncio.sleep(0.05)

    def oublier(self, adresse: str) -> None:
        self.par_adresse.pop(adresse, None)


class Livraisons:
    """The receiver's webhook deliveries by (acte, type): arrival instant and webhook-ids seen."""

    def __init__(self, recepteur: WebhookReceiver) -> None:
        self.recepteur = recepteur
        self.secret = ""
        self.recues: dict[tuple[str, str], tuple[float, set[str]]] = {}
        self.invalides = 0
        self.doublons = 0

    def relever(self) -> None:
        arrivees = self.recepteur.requests[:]
        del self.recepteur.requests[: len(arrivees)]
        for requete in arrivees:
            if not signature_valide(self.secret, requete.headers, requete.body):
                self.invalides += 1
                continue
            corps = requete.json()
            cle = (str(corps["donnees"].get("acte_id")), str(corps["type"]))
            _, ids = self.recues.setdefault(cle, (time.monotonic(), set()))
            ids.add(requete.headers["webhook-id"])
            if len(ids) > 1:
                self.doublons += 1

    async def attendre(self, acte_id: str, type_evenement: str) -> None:
        limite = time.monotonic() + DELAI
        while (acte_id, type_evenement) not in self.recues:
            self.relever()
            if time.monotonic() > limite:
                raise TimeoutError(f"no {type_evenement} webhook for {acte_id} after {DELAI:.0f} s")
            await asyncio.sleep(0.05)
        ids = self.recues[(acte_id, type_evenement)][1]
        if len(ids) != 1:
            raise AssertionError(f"{type_evenement} for {acte_id} delivered with {len(ids)} webhook-ids")

    def oublier(self, acte_id: str) -> None:
        for type_evenement in ("acte.envoye", "acte.pris_connaissance"):
            self.recues.pop((acte_id, type_evenement), None)


# --- the load --------------------------------------------------------------------------------------


@dataclass
class Banc:
    dist: Distribue
    http: httpx.AsyncClient
    boites: Boites
    livraisons: Livraisons
    mesures: Mesures
    racine: Path
    brut: Path
    instant: datetime  # the servers' clock
    ouvert: asyncio.Event = field(default_factory=asyncio.Event)
    calme: asyncio.Condition = field(default_factory=asyncio.Condition)
    en_cours: int = 0
    numero: int = 0

    async def declarer(self, email: str, nom: str) -> str:
        dep = self.dist.deploiement
        mentions = (await self.http.get("/consent/v1/mentions")).json()
        corps = declaration(mentions)
        corps["contact"]["email"] = email
        corps["personne"]["nom"] = nom
        creee = await self.http.post("/consent/v1/declarations", json=corps)
        assert creee.status_code == 201, creee.text[:300]
        ident, gestion = creee.json()["id"], {"X-Jeton-Gestion": creee.json()["jeton_gestion"]}
        mail = await self.boites.attendre(email, "")
        confirmee = await self.http.post(
            f"/consent/v1/declarations/{ident}/confirmation",
            json={"code": code_dans(mail.message)},
            headers=gestion,
        )
        assert confirmee.status_code == 200, confirmee.text[:300]
        for type_piece in ("carte_identite", "justificatif_domicile"):
            piece = await self.http.post(
                f"/consent/v1/declarations/{ident}/pieces",
                data={"type": type_piece},
                files={"fichier": ("piece.pdf", PIECE, "application/pdf")},
                headers=gestion,
            )
            assert piece.status_code == 201, piece.text[:300]
        soumise = await self.http.post(f"/consent/v1/declarations/{ident}/soumission", headers=gestion)
        assert soumise.status_code == 200, soumise.text[:300]
        operateur = {"Authorization": "Bearer " + dep.jeton("operateur", "op-soak", "consent")}
        decidee = await self.http.post(
            f"/consent/v1/operateur/declarations/{ident}/decision",
            json={"decision": "acceptee", "motif": "Pièces conformes"},
            headers=operateur,
        )
        assert decidee.status_code == 200, decidee.text[:300]
        return str(ident)

    async def deposer(self, declaration_id: str, signe: bytes, cle: str) -> tuple[int, str]:
        meta = {
            "reference_dossier": f"SOAK-{cle[:8]}",
            "nature": "signification_decision",
            "requerant": {"nom": "SCI Les Tilleuls"},
            "destinataire": {"declaration_id": declaration_id},
        }
        reponse = await self.http.post(
            "/coffre/v1/actes",
            headers={**commissaire(self.dist.deploiement, "coffre"), "Idempotency-Key": cle},
            files=[
                ("metadonnees", (None, json.dumps(meta).encode(), "application/json")),
                ("document", ("acte.pdf", signe, "application/pdf")),
            ],
        )
        assert reponse.status_code in (200, 201), f"{reponse.status_code} {reponse.text[:300]}"
        return reponse.status_code, str(reponse.json()["id"])

    async def cycle(self) -> None:
        self.numero += 1
        n = self.numero
        email, nom = f"soak-{n}-{uuid.uuid4().hex[:6]}@example.org", f"Soak-{n}"
        brut, signe = self.racine / f"acte-{n}.pdf", self.racine / f"acte-{n}-signe.pdf"
        acte_id = ""
        try:
            async with Etape(self.mesures, "declaration"):
                declaration_id = await self.declarer(email, nom)
            await asyncio.to_thread(dev_sign, self.brut, signe, self.dist.racine / "var")
            octets = signe.read_bytes()
            cle = str(uuid.uuid4())
            async with Etape(self.mesures, "depot"):
                _, acte_id = await self.deposer(declaration_id, octets, cle)
            depose = time.monotonic()
            async with Etape(self.mesures, "depot_rejeu"):
                _, rejeu = await self.deposer(declaration_id, octets, cle)
                assert rejeu == acte_id, f"replay gave {rejeu}, first {acte_id}"
            etape = Etape(self.mesures, "avis")
            etape.depuis = depose
            async with etape:
                avis = await self.boites.attendre(email, "/coffre/retrait/")
            async with Etape(self.mesures, "retrait"):
                recu = await self.retirer(email, lien_dans(avis.message))
                assert recu == octets, "downloaded bytes differ from the deposited acte"
            async with Etape(self.mesures, "webhook"):
                await self.livraisons.attendre(acte_id, "acte.pris_connaissance")
        except (AssertionError, TimeoutError, httpx.HTTPError, KeyError, ValueError):
            pass  # counted by its step
        finally:
            self.boites.oublier(email)
            self.livraisons.oublier(acte_id)
            brut.unlink(missing_ok=True)
            signe.unlink(missing_ok=True)

    async def retirer(self, email: str, lien: str) -> bytes:
        retrait = Retrait(self.http, lien)
        await retrait.page()
        connexion = await retrait.envoyer("connexion", email=email, mot_de_passe=MOT_DE_PASSE)
        assert connexion.status_code == 303, connexion.text[:300]
        assert "erreur" not in connexion.headers["location"], connexion.headers["location"]
        mail = await self.boites.attendre(email, "onnexion")
        code = await retrait.envoyer("code", code=code_dans(mail.message))
        assert code.status_code == 303, code.text[:300]
        assert "erreur" not in code.headers["location"], code.headers["location"]
        telechargement = await retrait.envoyer("telechargement")
        assert telechargement.status_code == 200, telechargement.text[:300]
        assert telechargement.headers["content-type"] == "application/pdf"
        return telechargement.content

    async def client(self, fin: float) -> None:
        while self.mesures.t() < fin:
            await self.ouvert.wait()
            self.en_cours += 1
            try:
                await self.cycle()
            except Exception:  # a soak keeps going; the trace is printed
                traceback.print_exc()
            finally:
                async with self.calme:
                    self.en_cours -= 1
                    self.calme.notify_all()

    async def journees(self, fin: float, periode: float, jour: date) -> None:
        """The end-of-day job every `periode` seconds (see the module's docstring)."""
        while self.mesures.t() + periode < fin:
            await asyncio.sleep(periode)
            self.ouvert.clear()
            async with self.calme:
                await self.calme.wait_for(lambda: self.en_cours == 0)
            jour = jour_ouvre_apres(jour)
            instant = dix_heures(jour)
            try:
                async with Etape(self.mesures, "fin_de_journee"):
                    for service in SERVICES:
                        bouge = await self.http.post(
                            f"/{service}/_test/horloge", json={"maintenant": instant.isoformat()}
                        )
                        assert bouge.status_code == 200, bouge.text[:300]
                    self.instant = instant
                    self.ouvert.set()  # the servers are at the new day: clients go on meanwhile
                    await self.dist.redemarrer_workers(instant)
                    await self.attendre_jobs_dus(instant)
            except (AssertionError, TimeoutError, httpx.HTTPError, OSError, asyncpg.PostgresError):
                pass
            finally:
                self.ouvert.set()
            print(f"[{self.mesures.t():7.1f}s] fin de journée → {instant.isoformat()}", flush=True)

    async def attendre_jobs_dus(self, instant: datetime) -> None:
        """Until no job due by `instant` is pending or running; prints when each kind was done."""
        depuis = time.monotonic()
        limite = depuis + 4 * DELAI
        vus: dict[str, float | None] = {}
        while True:
            restants = await jobs_dus(self.dist, instant)
            for kind in restants:
                vus.setdefault(kind, None)
            for kind, fini in vus.items():
                if fini is None and kind not in restants:
                    vus[kind] = time.monotonic() - depuis
            if not restants:
                faits = ", ".join(f"{k} {v or 0:.1f} s" for k, v in sorted(vus.items()))
                print(f"[{self.mesures.t():7.1f}s] jobs due done after: {faits}", flush=True)
                return
            if time.monotonic() > limite:
                raise TimeoutError(f"{dict(restants)} jobs due by {instant.isoformat()} still not done")
            await asyncio.sleep(0.5)


# --- sampling --------------------------------------------------------------------------------------


def _rss_fds(pid: int) -> tuple[float, int]:
    """RSS in MB and open file descriptors of `pid` (0, 0 if it is gone)."""
    try:
        rss = 0.0
        for ligne in Path(f"/proc/{pid}/status").read_text().splitlines():
            if ligne.startswith("VmRSS:"):
                rss = int(ligne.split()[1]) / 1024
        return rss, len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0.0, 0


async def echantillonner(banc: Banc, fin: float, periode: float) -> None:
    dist, mesures = banc.dist, banc.mesures
    while mesures.t() < fin + periode / 2:
        valeurs: dict[str, float] = {}
        arbre = enfants()
        for nom, pid in processus(dist).items():
            # A process's own RSS and fds, plus those of any child it started (none expected).
            pids, pile = [], [pid]
            while pile:
                courant = pile.pop()
                pids.append(courant)
                if courant != os.getpid():
                    pile.extend(arbre.get(courant, []))
            rss, fds = 0.0, 0
            for p in pids:
                r, f = _rss_fds(p)
                rss, fds = rss + r, fds + f
            valeurs[f"rss_mo {nom}"], valeurs[f"fds {nom}"] = rss, fds
        for service in SERVICES:
            try:
                conn = await connecter(dist, service)
            except (OSError, asyncpg.PostgresError):
                continue
            try:
                for statut, nombre in await conn.fetch(
                    "SELECT status, count(*) FROM jobs WHERE status IN ('pending', 'running') GROUP BY status"
                ):
                    valeurs[f"jobs_{statut} {service}"] = nombre
                valeurs.setdefault(f"jobs_pending {service}", 0)
                valeurs.setdefault(f"jobs_running {service}", 0)
                valeurs[f"jobs_pending_dus {service}"] = await conn.fetchval(
                    "SELECT count(*) FROM jobs WHERE status = 'pending' AND run_at <= $1", banc.instant
                )
                valeurs[f"outbox_non_relaye {service}"] = await conn.fetchval(
                    "SELECT count(*) FROM outbox WHERE relaye_le IS NULL"
                )
                if await conn.fetchval("SELECT to_regclass('journal_pending') IS NOT NULL"):
                    valeurs[f"journal_pending {service}"] = await conn.fetchval(
                        "SELECT count(*) FROM journal_pending"
                    )
                valeurs[f"connexions_pg {service}"] = (
                    await conn.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    )
                    - 1  # this one
                )
            finally:
                await conn.close()
        valeurs["loadavg_1min"] = charge()
        mesures.echantillons.append((mesures.t(), valeurs))
        await asyncio.sleep(periode)


# --- report ----------------------------------------------------------------------------------------


def _centile(valeurs: list[float], q: float) -> float:
    ordre = sorted(valeurs)
    return ordre[min(len(ordre) - 1, round(q * (len(ordre) - 1)))]


def _ratio(dernier: float, premier: float) -> str:
    return f"{dernier / premier:6.2f}" if premier else ("     =" if dernier == premier else "   inf")


def rapport(mesures: Mesures, duree: float, fenetre: float) -> None:
    premiere, derniere = (0.0, fenetre), (duree - fenetre, duree)

    def dans(t: float, f: tuple[float, float]) -> bool:
        return f[0] <= t < f[1]

    print(f"\nfenêtres: première [0, {fenetre:.0f}) s, dernière [{duree - fenetre:.0f}, {duree:.0f}) s")
    print(f"{'étape':<15} | {'n':>4} {'p50 s':>7} {'p99 s':>7} {'err':>4} | ", end="")
    print(f"{'n':>4} {'p50 s':>7} {'p99 s':>7} {'err':>4} | {'p50 ×':>6} {'p99 ×':>6}")
    for etape in ETAPES:
        colonnes, p = [], []
        for f in (premiere, derniere):
            ok = [d for t, e, d, bon in mesures.etapes if e == etape and bon and dans(t, f)]
            err = sum(1 for t, e, _, bon in mesures.etapes if e == etape and not bon and dans(t, f))
            if ok:
                p50, p99 = statistics.median(ok), _centile(ok, 0.99)
                colonnes.append(f"{len(ok):>4} {p50:>7.3f} {p99:>7.3f} {err:>4}")
            else:
                p50 = p99 = 0.0
                colonnes.append(f"{0:>4} {'-':>7} {'-':>7} {err:>4}")
            p.append((p50, p99))
        ratios = f"{_ratio(p[1][0], p[0][0])} {_ratio(p[1][1], p[0][1])}"
        print(f"{etape:<15} | {colonnes[0]} | {colonnes[1]} | {ratios}")
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for _, e, _, bon in mesures.etapes:
        total[e][0 if bon else 1] += 1
    print("whole run: " + ", ".join(f"{e} {total[e][0]} ok/{total[e][1]} err" for e in ETAPES))

    cles = sorted({c for _, v in mesures.echantillons for c in v})
    print(f"\n{'sample (median, max in window)':<32} | {'first':>15} | {'last':>15} | {'last/first':>13}")
    for cle in cles:
        med, maxi = [], []
        for f in (premiere, derniere):
            vals = [v[cle] for t, v in mesures.echantillons if dans(t, f) and cle in v] or [0.0]
            med.append(statistics.median(vals))
            maxi.append(max(vals))
        print(
            f"{cle:<32} | {med[0]:>7.1f} {maxi[0]:>7.1f} | {med[1]:>7.1f} {maxi[1]:>7.1f} | "
            f"{_ratio(med[1], med[0])} {_ratio(maxi[1], maxi[0])}"
        )
    charges = [v["loadavg_1min"] for _, v in mesures.echantillons]
    if charges:
        print(
            f"\nload average (1 min) during the run: min {min(charges):.2f}, "
            f"median {statistics.median(charges):.2f}, max {max(charges):.2f} (/proc/loadavg, "
            f"{os.cpu_count()} CPUs)"
        )
    for cle, nombre in sorted(mesures.erreurs_vues.items()):
        print(f"error ×{nombre}: {cle}")


async def main(args: argparse.Namespace) -> None:
    racine = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    jour = jour_ouvre_apres(datetime.now(UTC).date())
    debut = dix_heures(jour)
    print(
        f"soak: duree {args.duree:.0f} s, fenetre {args.fenetre:.0f} s, clients {args.clients}, "
        f"fin de journée every {args.jour:.0f} s, échantillon every {args.echantillon:.0f} s, "
        f"clock from {debut.isoformat()}, work dir {racine}",
        flush=True,
    )
    env_extra = {
        "SIGNIF_LOG_LEVEL": "WARNING",
        # Every destinataire signs in from 127.0.0.1, and the limits' 10-minute windows are read on
        # the pinned clock: per-address limits sized for one person would refuse the whole load.
        "COFFRE_RETRAIT_PAGES_PAR_CLIENT": "1000000",
        "COFFRE_RETRAIT_CONNEXIONS_PAR_CLIENT": "1000000",
        "COFFRE_RETRAIT_INCONNUS_PAR_CLIENT": "1000000",
        "CONSENT_DEFIS_PAR_CLIENT": "1000000",
        # Destinataire tokens checked on the pinned clock, which moves one day per `--jour`.
        "CONSENT_DESTINATAIRE_TOKEN_TTL": str(365 * 24 * 3600),
    }
    async with smtp_server() as smtp, webhook_receiver() as recepteur:
        with moto_s3_server() as s3:
            async with (
                distribue(racine, maintenant=debut, smtp=smtp, s3=s3, env_extra=env_extra) as dist,
                dist.client() as http,
            ):
                abonnement = await http.post(
                    "/notify/v1/abonnements",
                    json={
                        "url": f"{recepteur.url}/webhooks",
                        "types": ["acte.envoye", "acte.pris_connaissance"],
                    },
                    headers=commissaire(dist.deploiement, "notify"),
                )
                assert abonnement.status_code == 201, abonnement.text
                livraisons = Livraisons(recepteur)
                livraisons.secret = abonnement.json()["secret"]
                brut = racine / "acte.pdf"
                brut.write_bytes(acte_pdfa(titre="Signification d'un jugement (soak)"))
                mesures = Mesures()
                banc = Banc(dist, http, Boites(smtp), livraisons, mesures, racine, brut, debut)
                banc.ouvert.set()
                print(f"topology ready: {processus(dist)}", flush=True)

                async def progres() -> None:
                    while mesures.t() < args.duree:
                        await asyncio.sleep(min(60.0, args.fenetre))
                        faits: dict[str, int] = defaultdict(int)
                        for _, e, _, bon in mesures.etapes:
                            faits[e] += bon
                        print(
                            f"[{mesures.t():7.1f}s] " + ", ".join(f"{e} {n}" for e, n in faits.items()),
                            flush=True,
                        )

                taches = [asyncio.create_task(banc.client(args.duree)) for _ in range(args.clients)]
                taches.append(asyncio.create_task(banc.journees(args.duree, args.jour, jour)))
                taches.append(asyncio.create_task(echantillonner(banc, args.duree, args.echantillon)))
                taches.append(asyncio.create_task(progres()))
                await asyncio.sleep(args.duree)
                # In-flight cycles end past the run's end: their steps fall outside both windows.
                for tache in taches:
                    tache.cancel()
                await asyncio.gather(*taches, return_exceptions=True)
                livraisons.relever()
                print(
                    f"webhooks: {livraisons.invalides} with an invalid signature, "
                    f"{livraisons.doublons} events delivered under a second webhook-id",
                    flush=True,
                )
                rapport(mesures, args.duree, args.fenetre)
    if not args.garder:
        shutil.rmtree(racine, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duree", type=float, default=1800, help="seconds of load")
    parser.add_argument("--fenetre", type=float, default=300, help="seconds in the first/last window")
    parser.add_argument("--clients", type=int, default=2, help="concurrent cycle loops")
    parser.add_argument("--jour", type=float, default=120, help="seconds between two end-of-day jobs")
    parser.add_argument("--garder", action="store_true", help="keep the work dir (the processes' logs)")
    parser.add_argument("--echantillon", type=float, default=10, help="seconds between two samples")
    asyncio.run(main(parser.parse_args()))
