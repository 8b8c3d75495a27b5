"""SIGKILL between the prise de connaissance and its webhook: the office still gets the avis, once
per `webhook-id`.

The embedded deployment runs as a real process (`signif serve`, SQLite, test clock pinned), with the
in-process job runner off: jobs run only when the test posts `/_test/jobs`, so each window is exact.

1. The destinataire downloads the acte: the response means the prise de connaissance, its outbox
   event and the relay job are committed. The server is killed (SIGKILL) before any job runs.
2. Restarted, the server relays the event to notify, which attempts the webhook while the office's
   receiver is down: the attempt fails and the next is scheduled 5 s later. Killed again.
3. Restarted 5 s later on the test clock, with the receiver back up: the retry delivers the avis.

Asserted on what the receiver got: every `acte.pris_connaissance` request carries one and the same
`webhook-id` (the event's id, also in the body), a valid signature, and the acte's id; the delivery
is recorded as delivered at its second attempt.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.testing.smtp import SmtpServer, smtp_server
from shared.testing.webhooks import RecordedRequest, WebhookReceiver, webhook_receiver
from tests.e2e.deploiement import (
    SERVICES,
    SIGNIF,
    Deploiement,
    attendre_courriel,
    lien_dans,
    port_libre,
    signature_valide,
)
from tests.e2e.distribue_support import attendre
from tests.e2e.test_distribue import retirer
from tests.e2e.test_histoire import DEBUT, EMAIL, commissaire, declarer_et_faire_accepter, deposer

pytestmark = pytest.mark.e2e


@dataclass
class Serveur:
    """`signif serve` (embedded) on a fixed port and var dir, which can be killed and started again."""

    racine: Path
    port: int
    smtp: SmtpServer
    proc: asyncio.subprocess.Process | None = None
    demarrages: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, maintenant: datetime) -> dict[str, str]:
        return {
            **os.environ,
            "SIGNIF_ENV": "test",
            "NOTIFY_WEBHOOK_ALLOWLIST": '["127.0.0.1/32"]',  # the local webhook receivers
            "SIGNIF_VAR_DIR": str(self.racine / "var"),
            "SIGNIF_NOW": maintenant.isoformat(),
            "SIGNIF_PUBLIC_URL": self.base,
            "SIGNIF_RUN_JOBS": "false",
            "NOTIFY_SMTP_HOST": self.smtp.host,
            "NOTIFY_SMTP_PORT": str(self.smtp.port),
            "NOTIFY_SMTP_STARTTLS": "false",
        }

    def deploiement(self) -> Deploiement:
        return Deploiement(self.base, self.racine / "var", self.env(DEBUT), self.racine / "serve-1.log")

    async def demarrer(self, maintenant: datetime) -> None:
        self.demarrages += 1
        log = self.racine / f"serve-{self.demarrages}.log"
        with log.open("wb") as sortie:
            self.proc = await asyncio.create_subprocess_exec(
                SIGNIF,
                "serve",
                "--port",
                str(self.port),
                env=self.env(maintenant),
                cwd=self.racine,
                stdout=sortie,
                stderr=sortie,
            )
        proc = self.proc

        async def pret() -> bool:
            assert proc.returncode is None, log.read_text()
            try:
                async with httpx.AsyncClient(timeout=2) as http:
                    statuts = [(await http.get(f"{self.base}/{s}/readyz")).status_code for s in SERVICES]
            except httpx.HTTPError:
                return False
            return statuts == [200, 200, 200]

        await attendre(pret, "signif serve ready", delai=60)

    async def tuer(self) -> None:
        """SIGKILL: no shutdown, no flush, nothing but what was committed survives."""
        assert self.proc is not None
        assert self.proc.returncode is None
        self.proc.send_signal(signal.SIGKILL)
        assert await self.proc.wait() == -signal.SIGKILL

    async def arreter(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


@asynccontextmanager
async def serveur(racine: Path, smtp: SmtpServer) -> AsyncIterator[Serveur]:
    serveur = Serveur(racine, port_libre(), smtp)
    await serveur.deploiement().signif("migrate")
    await serveur.demarrer(DEBUT)
    try:
        yield serveur
    finally:
        await serveur.arreter()


async def test_sigkill_entre_la_prise_de_connaissance_et_le_webhook(tmp_path: Path) -> None:
    async with (
        smtp_server() as smtp,
        webhook_receiver() as recepteur,
        serveur(tmp_path, smtp) as srv,
        httpx.AsyncClient(base_url=srv.base, timeout=30) as http,
    ):
        dep = srv.deploiement()
        acte_id, secret = await acte_envoye(http, dep, smtp, recepteur, tmp_path)
        lien = lien_dans(
            (await attendre_courriel(smtp, lambda m: "/coffre/retrait/" in m.raw.decode())).message
        )

        # 1. The download's response: the prise de connaissance is committed. Killed before any job.
        assert await retirer(http, smtp, lien) == (tmp_path / "acte-signe.pdf").read_bytes()
        await srv.tuer()
        assert avis_recus(recepteur) == []

        # 2. Restarted: the relay reaches notify, the office's receiver is down. Killed again.
        await srv.demarrer(DEBUT)
        await recepteur.stop()
        assert (await http.post("/_test/jobs")).status_code == 200
        [livraison] = await livraisons(http, dep)
        assert livraison["statut"] == "en_attente"
        assert [t["statut"] for t in livraison["tentatives"]] == ["echec"]
        await srv.tuer()

        # 3. Restarted 5 s later (the retry schedule's second step), the receiver back up.
        await recepteur.start()
        await srv.demarrer(DEBUT + timedelta(seconds=5))
        assert (await http.post("/_test/jobs")).status_code == 200

        recus = avis_recus(recepteur)
        assert recus, "the avis never reached the office"
        ids = {r.headers["webhook-id"] for r in recus}
        assert len(ids) == 1, ids  # duplicates are allowed by Standard Webhooks, with the same id only
        for recu in recus:
            assert recu.json()["id"] in ids
            assert recu.json()["donnees"]["acte_id"] == acte_id
            assert signature_valide(secret, recu.headers, recu.body)
        [livraison] = await livraisons(http, dep)
        assert livraison["statut"] == "livree"
        assert [t["statut"] for t in livraison["tentatives"]] == ["echec", "succes"]
        assert (await http.post("/_test/jobs")).json()["executes"] == 0
        assert len(avis_recus(recepteur)) == len(recus)


async def acte_envoye(
    http: httpx.AsyncClient, dep: Deploiement, smtp: SmtpServer, recepteur: WebhookReceiver, tmp_path: Path
) -> tuple[str, str]:
    """A declaration, the office's subscription to `acte.pris_connaissance`, a deposited acte whose
    avis de mise à disposition was mailed; (acte id, the subscription's signing secret)."""
    declaration_id = await declarer_et_faire_accepter(http, dep, smtp)
    abonnement = await http.post(
        "/notify/v1/abonnements",
        json={"url": f"{recepteur.url}/webhooks", "types": ["acte.pris_connaissance"]},
        headers=commissaire(dep, "notify"),
    )
    assert abonnement.status_code == 201, abonnement.text
    acte_id = await deposer(http, dep, tmp_path, declaration_id)
    assert (await http.post("/_test/jobs")).status_code == 200
    assert any(EMAIL in m.rcpt_tos and "/coffre/retrait/" in m.raw.decode() for m in smtp.received)
    return acte_id, str(abonnement.json()["secret"])


def avis_recus(recepteur: WebhookReceiver) -> list[RecordedRequest]:
    return [r for r in recepteur.to("/webhooks") if r.json()["type"] == "acte.pris_connaissance"]


async def livraisons(http: httpx.AsyncClient, dep: Deploiement) -> list[dict[str, Any]]:
    reponse = await http.get("/notify/v1/livraisons", headers=commissaire(dep, "notify"))
    assert reponse.status_code == 200, reponse.text
    elements: list[dict[str, Any]] = reponse.json()["elements"]
    return elements
