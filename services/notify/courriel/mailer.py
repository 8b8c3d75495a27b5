"""Sending e-mail: over SMTP (aiosmtplib), or as `.eml` files in the embedded deployment.

Messages are built by `courriel.messages` with their `Message-ID` already set; a mailer only
transports them. Every transport failure surfaces as `EnvoiImpossible` so callers retry without
knowing the transport. The file mailer writes atomically (temporary name, then rename) so a reader
never sees half a message; it logs the file path (and the link, for development) only outside
production, because the link is a bearer secret for the destinataire's retrieval page.
"""

from __future__ import annotations

import logging
import os
import ssl
from abc import ABC, abstractmethod
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from services.notify.settings import NotifySettings

logger = logging.getLogger("signif.notify.mail")


class EnvoiImpossible(Exception):
    """The message could not be handed to the transport (retry later)."""


class Mailer(ABC):
    @abstractmethod
    async def send(self, message: EmailMessage, *, lien: str | None = None) -> None:
        """Hand `message` to the transport; `lien` is only ever used for development logs."""


class SmtpMailer(Mailer):
    def __init__(self, settings: NotifySettings) -> None:
        if settings.smtp_host is None:  # pragma: no cover - guarded by make_mailer
            raise ValueError("SMTP host missing")
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.user = settings.smtp_user
        self.password = settings.smtp_password
        self.starttls = settings.smtp_starttls
        self.timeout = settings.smtp_timeout

    async def send(self, message: EmailMessage, *, lien: str | None = None) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.user,
                password=self.password.get_secret_value() if self.password else None,
                start_tls=self.starttls,
                use_tls=False,
                tls_context=ssl.create_default_context() if self.starttls else None,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise EnvoiImpossible(type(exc).__name__) from exc


class FileMailer(Mailer):
    def __init__(self, directory: Path, *, production: bool) -> None:
        self.directory = directory
        self.production = production

    async def send(self, message: EmailMessage, *, lien: str | None = None) -> None:
        message_id = str(message["Message-ID"]).strip("<>")
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in message_id) + ".eml"
        path = self.directory / name
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".eml.tmp")
            temporary.write_bytes(message.as_bytes())
            os.replace(temporary, path)
        except OSError as exc:
            raise EnvoiImpossible(type(exc).__name__) from exc
        if self.production:
            logger.info("e-mail written as a file", extra={"message_id": message_id})
        else:
            logger.info("e-mail written (development)", extra={"path": str(path), "link": lien})


def make_mailer(settings: NotifySettings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    return FileMailer(settings.mail_dir, production=settings.env == "production")
