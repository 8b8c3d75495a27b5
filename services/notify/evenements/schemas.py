"""Events: what the other services' outbox relays send, and what the pull feed returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class EvenementRecu(BaseModel):
    """The relay's body (`shared.outbox`): unknown types are accepted and kept."""

    model_config = ConfigDict(extra="forbid")

    # No '.' in the id: it becomes the Standard Webhooks `webhook-id`, part of the signed content.
    id: str = Field(max_length=64, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    type: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", max_length=64)
    source: str = Field(max_length=32, pattern=r"^[a-z0-9_-]{1,32}$")
    cree_le: AwareDatetime
    donnees: dict[str, Any]


class EvenementAccepte(BaseModel):
    id: str
    recu_le: datetime
    deja_recu: bool


class EvenementLu(BaseModel):
    id: str
    type: str
    cree_le: datetime
    donnees: dict[str, Any]
    curseur: str


class PageEvenements(BaseModel):
    elements: list[EvenementLu]
    suivant: str | None
