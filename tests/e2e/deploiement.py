"""The embedded deployment as a real process for end-to-end tests, and small tools around it.

`deploiement(...)` runs `signif migrate` then `signif serve` on a free 127.0.0.1 port (never 8000, and
no `SIGNIF_PUBLIC_URL`: the links and the services' calls to each other follow the port; asyncio
subprocesses, so the test's event loop keeps serving its own SMTP sink and webhook receiver while
the server talks to them), with the test clock pinned and the job runner off: due jobs run only when
the test posts `/_test/jobs`. Every `signif` command is a subprocess with the same environment.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from shared.issuer import DevIssuer
from shared.testing.smtp import ReceivedMail, SmtpServer

BIN = Path(sys.executable).parent
SIGNIF = str(BIN / "signif")
SERVICES = ("consent", "coffre", "notify")


def port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Deploiement:
    base: str
    var: Path
    env: dict[str, str]
    log: Path

    def jeton(self, role: str, sub: str, audience: str, **claims: Any) -> str:
        """A JWT minted with the deployment's development issuer key (what `signif token issue` uses)."""
        issuer = DevIssuer(self.var / "keys", issuer="signif-dev", allow_create=False)
        return issuer.token(role=role, sub=sub, audience=audience, **claims)

    async def signif(self, *args: str, attendu: int = 0) -> str:
        """Run `signif <args>` against this deployment's environment; return its standard output."""
        proc = await asyncio.create_subprocess_exec(
            SIGNIF,
            *args,
            env=self.env,
            cwd=self.var.parent,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
        text = out.decode()
        assert proc.returncode == attendu, f"signif {' '.join(args)} → {proc.returncode}\n{text}"
        return text


@asynccontextmanager
async def deploiement(
    racine: Path, *, maintenant: datetime, smtp: SmtpServer | None = None, taches: bool = False
) -> AsyncIterator[Deploiement]:
    """`taches`: the job runner in process (relays and due jobs run by themselves, on the pinned clock)."""
    port = port_libre()
    base = f"http://127.0.0.1:{port}"
    var = racine / "var"
    derivees = {"SIGNIF_PUBLIC_URL"} | {f"SIGNIF_{s.upper()}_URL" for s in SERVICES}
    env = {
        **{k: v for k, v in os.environ.items() if k not in derivees},
        "SIGNIF_ENV": "test",
        "SIGNIF_VAR_DIR": str(var),
        "SIGNIF_NOW": maintenant.isoformat(),
        "SIGNIF_RUN_JOBS": "true" if taches else "false",
        "NOTIFY_WEBHOOK_ALLOWLIST": '["127.0.0.1/32"]',  # the local webhook receivers
    }
    if smtp is not None:
        env |= {
            "NOTIFY_SMTP_HOST": smtp.host,
            "NOTIFY_SMTP_PORT": str(smtp.port),
            "NOTIFY_SMTP_STARTTLS": "false",
        }
    dep = Deploiement(base, var, env, racine / "serve.log")
    await dep.signif("migrate")
    with dep.log.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            SIGNIF, "serve", "--port", str(port), env=env, cwd=racine, stdout=log, stderr=log
        )
        try:
            await _attendre_pret(base, proc, dep.log)
            yield dep
        finally:
            if proc.returncode is None:
                proc.terminate()
                await asyncio.wait_for(proc.wait(), timeout=30)


async def _attendre_pret(base: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    loop = asyncio.get_running_loop()
    limite = loop.time() + 60
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                statuts = [(await http.get(f"{base}/{s}/readyz")).status_code for s in SERVICES]
                if statuts == [200, 200, 200]:
                    return
            except httpx.HTTPError:
                pass
            if proc.returncode is not None or loop.time() > limite:
                raise AssertionError("signif serve not ready:\n" + await asyncio.to_thread(log.read_text))
            await asyncio.sleep(0.2)


# --- mail ---------------------------------------------------------------------------------------------


def texte(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "no text/plain part"
    content = body.get_content()
    assert isinstance(content, str)
    return content


async def attendre_courriel(
    smtp: SmtpServer, condition: Callable[[ReceivedMail], bool], *, deja: int = 0, delai: float = 10
) -> ReceivedMail:
    """The first mail after the `deja` first ones that satisfies `condition` (waits up to `delai` s)."""
    loop = asyncio.get_running_loop()
    limite = loop.time() + delai
    while True:
        for mail in smtp.received[deja:]:
            if condition(mail):
                return mail
        assert loop.time() < limite, [m.message["Subject"] for m in smtp.received]
        await asyncio.sleep(0.05)


def code_dans(message: EmailMessage) -> str:
    found = re.search(r"\b(\d{6}|\d{8})\b", texte(message))
    assert found, texte(message)
    return found.group(1)


def lien_dans(message: EmailMessage) -> str:
    found = re.search(r"(https?://\S+/coffre/retrait/[A-Za-z0-9_\-]+)", texte(message))
    assert found, texte(message)
    return found.group(1)


# --- Standard Webhooks --------------------------------------------------------------------------------


def signature_valide(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks v1: HMAC-SHA256 over `id.timestamp.body`, key = base64-decoded `whsec_` secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.partition(",")[2] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, s) for s in offered)
