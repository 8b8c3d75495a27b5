"""SMS providers: an interface and the logging implementation used until a provider is contracted.

The logging provider never writes the message text or the full number in production logs (they
may carry a code or identify a person); in development it logs them so the flow can be followed.
"""

from __future__ import annotations

import logging
import uuid
from abc import ABC, abstractmethod

logger = logging.getLogger("signif.notify.sms")


class SmsProvider(ABC):
    @abstractmethod
    async def send(self, numero: str, texte: str) -> str:
        """Send `texte` to `numero` (E.164); returns the provider's message id."""


class LoggingSmsProvider(SmsProvider):
    def __init__(self, *, production: bool) -> None:
        self.production = production
        self.sent: list[tuple[str, str]] = []

    async def send(self, numero: str, texte: str) -> str:
        message_id = str(uuid.uuid4())
        if self.production:
            logger.info("sms not sent: no provider configured", extra={"message_id": message_id})
        else:
            self.sent.append((numero, texte))
            logger.info("sms (development)", extra={"message_id": message_id, "to": numero, "text": texte})
        return message_id
