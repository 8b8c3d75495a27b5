"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd, in the test's event loop).

It accepts every message and keeps it, parsed, in `received`; `fail_with` makes it refuse the next
messages with an SMTP error code (to exercise retries).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        if not isinstance(parsed, EmailMessage):
            raise TypeError("the default policy parses to EmailMessage")
        return parsed

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        if body is None:
            raise LookupError(f"no text/{subtype} part")
        content = body.get_content()
        if not isinstance(content, str):
            raise TypeError(f"text/{subtype} is not text")
        return content


@dataclass
class SmtpServer:
    host: str
    port: int
    received: list[ReceivedMail] = field(default_factory=list)
    refuse_next: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "451 Requested action aborted: local error in processing"
        content = envelope.original_content or b""
        self.received.append(
            ReceivedMail(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], bytes(content))
        )
        return "250 Message accepted for delivery"


@asynccontextmanager
async def smtp_server() -> AsyncIterator[SmtpServer]:
    state = SmtpServer(HOST, 0)

    def factory() -> Any:
        return SMTP(state, hostname="signif-test-smtp", enable_SMTPUTF8=True)

    server = await asyncio.get_running_loop().create_server(factory, HOST, 0)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()
