"""What notify sends to the coffre's internal endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AvisMiseADisposition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    statut: Literal["envoye", "echec"]
    canal: Literal["email", "sms"]
    envoye_le: datetime = Field(description="Instant où le serveur de messagerie (ou SMS) a accepté l'avis.")
    message_id: str | None = Field(None, max_length=500)
    message_sha256: str | None = Field(
        None,
        min_length=64,
        max_length=64,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 du message tel que remis (RFC 5322).",
    )
    adresse_masquee: str | None = Field(None, max_length=320)
    detail: str | None = Field(None, max_length=1000)
