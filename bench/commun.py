"""What several benchmarks share: CPU seconds read from /proc, percentiles, signed actes, webhook
arrivals stamped as they come, and the destinataire's retrieval session driven without a browser
(password, e-mailed code, then authenticated downloads naming the acte)."""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx

from shared.testing.webhooks import RecordedRequest

if TYPE_CHECKING:  # imported where used: bench.consultations' client processes import this module
    from shared.testing.smtp import SmtpServer
    from tests.e2e.distribue_support import Retrait

MB = 1024 * 1024
T = TypeVar("T")


# --- CPU time and percentiles ----------------------------------------------------------------------


def cpu_secondes(pid: int) -> float:
    """User + system CPU seconds of `pid` and its live descendants (from /proc; 0 once it is gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        champs = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(champs[11]) + int(champs[12])) / tick
        enfants = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return total
    return total + sum(cpu_secondes(int(enfant)) for enfant in enfants)


def cpu_postgres() -> float:
    """User + system CPU seconds of the local PostgreSQL server's processes, including the backends
    that have exited (their time is in the postmaster's children counters)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        if "(postgres)" in stat:
            champs = stat.rsplit(")", 1)[1].split()
            total += sum(int(champs[k]) for k in (11, 12, 13, 14)) / tick
    return total


def centile(valeurs: list[float], q: float) -> float:
    """The nearest-rank `q` percentile (0 < q ≤ 1) of a non-empty list."""
    ordre = sorted(valeurs)
    return ordre[min(len(ordre) - 1, math.ceil(q * len(ordre)) - 1)]


def charge() -> float:
    """The machine's 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


# --- signed actes ----------------------------------------------------------------------------------


def copies_signees(var: Path, acte: bytes, n: int) -> Iterable[bytes]:
    """`n` copies of `acte`, each signed afresh with the deployment's demo certificate (`signif dev
    sign`'s code): each signature makes the file unique, so each deposit stores a new blob."""
    from services.coffre.documents import signer_pdf_octets
    from shared.devpki import dev_signer

    signer = dev_signer(var)
    return (signer_pdf_octets(acte, signer) for _ in range(n))


# --- webhooks --------------------------------------------------------------------------------------


class Arrivees(list[RecordedRequest]):
    """A webhook receiver's request list (`recepteur.requests = Arrivees()`) that stamps the arrival
    (`time.perf_counter`) of each event type for each acte, and keeps every webhook-id."""

    def __init__(self) -> None:
        super().__init__()
        self.par_type: dict[str, dict[str, float]] = defaultdict(dict)
        self.ids: list[str] = []

    def append(self, request: RecordedRequest) -> None:
        instant = time.perf_counter()
        super().append(request)
        self.ids.append(request.headers.get("webhook-id", ""))
        corps = json.loads(request.body)
        self.par_type[corps["type"]].setdefault(corps["donnees"]["acte_id"], instant)

    def doublons(self) -> int:
        return len(self.ids) - len(set(self.ids))

    async def attendre(self, type_evenement: str, actes: Iterable[str], delai: float = 600) -> None:
        """Until an event of that type has arrived for every acte (AssertionError after `delai` s)."""
        from tests.e2e.distribue_support import attendre

        attendus, recus = set(actes), self.par_type[type_evenement]

        async def tous() -> bool:
            return attendus <= recus.keys()

        await attendre(tous, f"every {type_evenement} webhook", delai=delai)


# --- the destinataire's retrieval session ----------------------------------------------------------


@dataclass
class Session:
    retrait: Retrait
    csrf: str


async def ouvrir_session(
    http: httpx.AsyncClient,
    smtp: SmtpServer,
    lien: str,
    chrono: Callable[[str, float], None] | None = None,
) -> Session:
    """Sign in on the retrieval page of `lien` (password, then the e-mailed code), as a browser.

    `chrono(step, seconds)`, if given, receives each step's duration: `connexion` (the page, then
    the password form), `code_courriel` (until the code's e-mail reaches the SMTP sink), `code` (the
    page, then the code form), `espace` (the page once signed in: link and session checked)."""

    from tests.e2e.deploiement import attendre_courriel, code_dans
    from tests.e2e.distribue_support import Retrait
    from tests.e2e.test_histoire import EMAIL, MOT_DE_PASSE

    def noter(etape: str, depuis: float) -> None:
        if chrono is not None:
            chrono(etape, time.perf_counter() - depuis)

    retrait = Retrait(http, lien)
    deja = len(smtp.received)
    depuis = time.perf_counter()
    connexion = await retrait.envoyer("connexion", email=EMAIL, mot_de_passe=MOT_DE_PASSE)
    if connexion.status_code != 303 or "erreur" in connexion.headers["location"]:
        raise RuntimeError(f"sign-in: {connexion.status_code} {connexion.headers.get('location')}")
    noter("connexion", depuis)
    depuis = time.perf_counter()
    mail = await attendre_courriel(
        smtp, lambda m: "connexion" in str(m.message["Subject"]).lower(), deja=deja, delai=60
    )
    noter("code_courriel", depuis)
    depuis = time.perf_counter()
    code = await retrait.envoyer("code", code=code_dans(mail.message))
    if code.status_code != 303 or "erreur" in code.headers["location"]:
        raise RuntimeError(f"code: {code.status_code} {code.headers.get('location')}")
    noter("code", depuis)
    depuis = time.perf_counter()
    page = await retrait.page()
    noter("espace", depuis)
    # On loopback the cookie is not `Secure`, so the shared client's jar keeps it too: without
    # clearing it, each session's requests would carry the last signed-in session's cookie as well.
    http.cookies.clear()
    marque = 'name="csrf" value="'
    debut = page.index(marque) + len(marque)
    return Session(retrait, page[debut : page.index('"', debut)])


async def telecharger(session: Session, acte_id: str) -> tuple[httpx.Response, float]:
    """The authenticated POST of "Télécharger l'acte" for `acte_id` (any acte served on her), read
    whole, and the instant (`time.perf_counter`) its headers arrived: the prise de connaissance is
    recorded by then, before the body streams."""
    async with flux_telechargement(session, acte_id) as reponse:
        entetes = time.perf_counter()
        await reponse.aread()
    return reponse, entetes


def flux_telechargement(session: Session, acte_id: str) -> AbstractAsyncContextManager[httpx.Response]:
    """The same POST, its answer as a stream (for a caller that reads the body itself)."""
    retrait = session.retrait
    return retrait.http.stream(
        "POST",
        f"{retrait.chemin}/telechargement",
        data={"csrf": session.csrf, "acte_id": acte_id},
        headers={"Cookie": retrait.cookie or ""},
    )


async def en_parallele(
    elements: Iterable[T], concurrence: int, faire: Callable[[T], Awaitable[None]]
) -> tuple[list[float], float]:
    """`faire(element)` for each element, `concurrence` in flight: each call's seconds, and the
    seconds from the first start to the last end. An exception cancels the other calls in flight and
    propagates (in an ExceptionGroup)."""
    restants = iter(elements)
    durees: list[float] = []

    async def boucle() -> None:
        for element in restants:
            depuis = time.perf_counter()
            await faire(element)
            durees.append(time.perf_counter() - depuis)

    debut = time.perf_counter()
    async with asyncio.TaskGroup() as groupe:  # the first exception cancels the other loops
        for _ in range(concurrence):
            groupe.create_task(boucle())
    return durees, time.perf_counter() - debut
