"""The distributed topology as real processes, for the end-to-end story run a second time.

`distribue(...)` starts, on 127.0.0.1 and free ports:

- each service as its own `signif serve <service>` process, on its own throw-away PostgreSQL
  database (migrated with `signif migrate <service>`), with `SIGNIF_RUN_JOBS=false`;
- blobs in a bucket of a real S3 endpoint (moto's server, created with Object Lock as MinIO's
  compose init does), credentials in `AWS_*` as in docker-compose.yml;
- two `signif worker` processes, each running the three services' job runners and outbox relays,
  competing for the same jobs (claimed with `FOR UPDATE SKIP LOCKED`).

Every process shares one environment: the same `SIGNIF_VAR_DIR` (one development issuer), the
same pinned test clock (`SIGNIF_NOW`), the SMTP sink and the service URLs. Each process has its
own clock: the servers' clocks move with `POST /_test/horloge`, the workers' by restarting them
with a later `SIGNIF_NOW` (`Distribue.redemarrer_workers`).

`RoutageServices` is an httpx transport that sends `/consent/...`, `/coffre/...` and `/notify/...`
to the right process, so the story written against one base URL runs unchanged.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from services.coffre.documents.signing import dev_sign
from shared.blobs.s3 import S3BlobStore
from shared.testing.databases import temporary_postgres
from shared.testing.s3 import S3Server
from shared.testing.smtp import SmtpServer
from tests.e2e.deploiement import SERVICES, SIGNIF, Deploiement, port_libre

PROCESS_TIMEOUT = 30.0


@dataclass
class Distribue:
    racine: Path
    env: dict[str, str]
    bases: dict[str, str]
    database_urls: dict[str, str]
    workers: list[asyncio.subprocess.Process] = field(default_factory=list)
    workers_lances: int = 0

    @property
    def deploiement(self) -> Deploiement:
        """A `Deploiement` view (issuer keys, `signif` commands) for the story's helpers."""
        var = self.racine / "var"
        return DeploiementDistribue(self.bases["consent"], var, self.env, self.racine / "consent.log")

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url="http://signif.invalid", transport=RoutageServices(self.bases), timeout=30
        )

    async def demarrer_workers(self, maintenant: datetime | None = None) -> None:
        env = dict(self.env)
        if maintenant is not None:
            env["SIGNIF_NOW"] = maintenant.isoformat()
        for _ in range(2):
            self.workers_lances += 1
            log = self.racine / f"worker-{self.workers_lances}.log"
            self.workers.append(await _lancer(env, self.racine, log, "worker"))

    async def demarrer_un_worker(self) -> None:
        """One more worker, at the deployment's clock (a replacement for one killed)."""
        self.workers_lances += 1
        log = self.racine / f"worker-{self.workers_lances}.log"
        self.workers.append(await _lancer(dict(self.env), self.racine, log, "worker"))

    async def arreter_workers(self) -> None:
        await arreter(self.workers)
        self.workers.clear()

    async def redemarrer_workers(self, maintenant: datetime) -> None:
        """New workers at `maintenant` while the old ones stop. Safe as long as every server's clock
        already reads `maintenant`: the old workers' clocks are behind every job enqueued since."""
        anciens = list(self.workers)
        self.workers.clear()
        await self.demarrer_workers(maintenant)
        await arreter(anciens)

    async def jobs(self, service: str) -> list[asyncpg.Record]:
        """Every row of the service's `jobs` table, read directly from its PostgreSQL database."""
        dsn = self.database_urls[service].replace("postgresql+asyncpg://", "postgresql://", 1)
        conn = await asyncpg.connect(dsn, timeout=5)
        try:
            return list(await conn.fetch("SELECT * FROM jobs ORDER BY id"))
        finally:
            await conn.close()


class DeploiementDistribue(Deploiement):
    """`signif token issue` and `signif dev sign` run in the test process, with the same code and
    keys as the commands (each `signif` start costs seconds on a loaded CI runner; the commands
    themselves are covered by the embedded story). Any other command runs as a subprocess."""

    async def signif(self, *args: str, attendu: int = 0) -> str:
        options = dict(zip(args[2::2], args[3::2], strict=True)) if len(args) % 2 == 0 else {}
        if args[:2] == ("token", "issue") and attendu == 0:
            return self.jeton(options["--role"], options["--sub"], options["--aud"])
        if args[:2] == ("dev", "sign") and attendu == 0:
            await asyncio.to_thread(dev_sign, Path(options["--in"]), Path(options["--out"]), self.var)
            return ""
        return await super().signif(*args, attendu=attendu)


class RoutageServices(httpx.AsyncBaseTransport):
    """Route each request to the process serving the service named by the path's first segment."""

    def __init__(self, bases: dict[str, str]) -> None:
        self.bases = {nom: httpx.URL(base) for nom, base in bases.items()}
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        service = request.url.path.strip("/").split("/", 1)[0]
        assert service in self.bases, f"no service serves {request.url.path}"
        cible = self.bases[service]
        request.url = request.url.copy_with(scheme=cible.scheme, host=cible.host, port=cible.port)
        request.headers["host"] = f"{cible.host}:{cible.port}"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@asynccontextmanager
async def distribue(
    racine: Path,
    *,
    maintenant: datetime,
    smtp: SmtpServer,
    s3: S3Server,
    env_extra: dict[str, str] | None = None,
) -> AsyncIterator[Distribue]:
    bucket = s3.new_bucket_name("signif-e2e")
    # The bucket exists before the services start (compose's minio-init), with Object Lock.
    await S3BlobStore(s3.settings(bucket, object_lock_days=1)).ensure_bucket()
    async with AsyncExitStack() as stack:
        urls = {s: await stack.enter_async_context(temporary_postgres(f"signif_e2e_{s}")) for s in SERVICES}
        bases = {s: f"http://127.0.0.1:{port_libre()}" for s in SERVICES}
        env = {
            **os.environ,
            "SIGNIF_ENV": "test",
            "NOTIFY_WEBHOOK_ALLOWLIST": '["127.0.0.1/32"]',  # the local webhook receivers
            "SIGNIF_VAR_DIR": str(racine / "var"),
            "SIGNIF_NOW": maintenant.isoformat(),
            # The retrieval link in the avis points at the coffre's pages.
            "SIGNIF_PUBLIC_URL": bases["coffre"],
            "SIGNIF_RUN_JOBS": "false",
            "SIGNIF_BLOB_URL": f"s3://{bucket}?endpoint={s3.endpoint_url}&region={s3.region}&lock_days=1",
            "AWS_ACCESS_KEY_ID": s3.access_key_id,
            "AWS_SECRET_ACCESS_KEY": s3.secret_access_key,
            "NOTIFY_SMTP_HOST": smtp.host,
            "NOTIFY_SMTP_PORT": str(smtp.port),
            "NOTIFY_SMTP_STARTTLS": "false",
            # As in deploiement.py: consent's wall-clock token lifetime vs the coffre's pinned clock.
            "CONSENT_DESTINATAIRE_TOKEN_TTL": str(14 * 24 * 3600),
        }
        env |= {f"SIGNIF_{s.upper()}_URL": bases[s] for s in SERVICES}
        env |= {f"{s.upper()}_DATABASE_URL": urls[s] for s in SERVICES}
        env |= env_extra or {}
        dist = Distribue(racine, env, bases, urls)
        await dist.deploiement.signif("migrate", *SERVICES)
        # All at once (development keys are created under a file lock); the workers need no
        # server to start, and the first job they must run comes after every server is ready.
        serveurs: list[asyncio.subprocess.Process] = []
        stack.push_async_callback(arreter, serveurs)
        prets = []
        for service in SERVICES:
            port = bases[service].rsplit(":", 1)[1]
            log = racine / f"{service}.log"
            serveurs.append(await _lancer(env, racine, log, "serve", service, "--port", port))
            prets.append(_attendre_pret(bases[service], service, serveurs[-1], log))
        stack.push_async_callback(dist.arreter_workers)
        await dist.demarrer_workers()
        await asyncio.gather(*prets)
        yield dist


async def _lancer(env: dict[str, str], cwd: Path, log: Path, *args: str) -> asyncio.subprocess.Process:
    with log.open("wb") as sortie:
        return await asyncio.create_subprocess_exec(
            SIGNIF, *args, env=env, cwd=cwd, stdout=sortie, stderr=sortie
        )


async def arreter(procs: list[asyncio.subprocess.Process]) -> None:
    """SIGTERM to each process still running, then wait for all (SIGKILL after the timeout)."""
    vivants = [p for p in procs if p.returncode is None]
    for proc in vivants:
        proc.terminate()
    await asyncio.gather(*(_attendre_fin(p) for p in vivants))


async def _attendre_fin(proc: asyncio.subprocess.Process) -> None:
    try:
        await asyncio.wait_for(proc.wait(), timeout=PROCESS_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def _attendre_pret(base: str, service: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    async def pret() -> bool:
        if proc.returncode is not None:
            raise AssertionError(f"signif serve {service} exited:\n" + await asyncio.to_thread(log.read_text))
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                return (await http.get(f"{base}/{service}/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    await attendre(pret, f"{service} ready", delai=180)


async def attendre(condition: Callable[[], Awaitable[bool]], quoi: str, *, delai: float = 20) -> None:
    """Poll `condition` every 0.1 s until it holds; fail after `delai` seconds."""
    loop = asyncio.get_running_loop()
    limite = loop.time() + delai
    while not await condition():
        assert loop.time() < limite, f"timed out waiting for {quoi}"
        await asyncio.sleep(0.1)


# --- the retrieval pages without a browser -------------------------------------------------------


class Retrait:
    """The destinataire's retrieval pages driven over plain HTTP (form posts and the session cookie).

    The session cookie is `Secure` (httpx keeps it off plain http), so it is carried by hand."""

    def __init__(self, http: httpx.AsyncClient, lien: str) -> None:
        self.http = http
        self.chemin = httpx.URL(lien).path
        self.cookie: str | None = None

    async def page(self) -> str:
        reponse = await self.http.get(self.chemin, headers=self._entetes())
        assert reponse.status_code == 200, reponse.text
        self._retenir(reponse)
        return reponse.text

    async def envoyer(self, action: str, **champs: str) -> httpx.Response:
        csrf = re.search(r'name="csrf" value="([^"]+)"', await self.page())
        assert csrf, "no CSRF field on the page"
        reponse = await self.http.post(
            f"{self.chemin}/{action}", data={"csrf": csrf.group(1), **champs}, headers=self._entetes()
        )
        self._retenir(reponse)
        return reponse

    def _entetes(self) -> dict[str, Any]:
        return {"Cookie": self.cookie} if self.cookie else {}

    def _retenir(self, reponse: httpx.Response) -> None:
        for valeur in reponse.headers.get_list("set-cookie"):
            self.cookie = valeur.split(";", 1)[0]
