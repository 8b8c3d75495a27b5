"""Events: what the other services' outbox relays send, and what the pull feed returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema

from services.notify.webhooks import SCHEMA_DONNEES

_DONNEES_RECUES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": True,
    "description": (
        "Les données de l'événement, gardées telles quelles (un type que notify ne connaît pas encore est "
        "accepté) ; celles des types connus sont décrites dans les `webhooks` de ce document."
    ),
}


class EvenementRecu(BaseModel):
    """The relay's body (`shared.outbox`): unknown types are accepted and kept."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "description": "Le corps que le relais d'un service envoie (`shared.outbox`) : un type inconnu "
            "est accepté et gardé."
        },
    )

    # No '.' in the id: it becomes the Standard Webhooks `webhook-id`, part of the signed content.
    id: str = Field(max_length=64, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    type: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", max_length=64)
    source: str = Field(max_length=32, pattern=r"^[a-z0-9_-]{1,32}$")
    cree_le: AwareDatetime
    donnees: Annotated[dict[str, Any], WithJsonSchema(_DONNEES_RECUES)]


class EvenementAccepte(BaseModel):
    id: str
    recu_le: datetime
    deja_recu: bool


class EvenementLu(BaseModel):
    id: str
    type: str
    cree_le: datetime
    donnees: Annotated[dict[str, Any], WithJsonSchema(SCHEMA_DONNEES)]
    curseur: str


class PageEvenements(BaseModel):
    elements: list[EvenementLu]
    suivant: str | None
