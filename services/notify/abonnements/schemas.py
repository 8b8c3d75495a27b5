"""Webhook subscriptions: request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TypeEvenement = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", max_length=64)]


class AbonnementCree(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=2000,
        description="Webhook endpoint (https in production), or `mailto:<adresse>` to receive the "
        "events by e-mail (the avis de réception with its JWS attached); same retries either way.",
    )
    types: list[TypeEvenement] = Field(min_length=1, max_length=50)


class AbonnementLu(BaseModel):
    id: str
    url: str
    types: list[str]
    statut: str
    cree_le: datetime
    desactive_le: datetime | None


class AbonnementAvecSecret(AbonnementLu):
    secret: str = Field(description="Secret de signature `whsec_...` : affiché une seule fois.")


class PageAbonnements(BaseModel):
    elements: list[AbonnementLu]
    suivant: str | None
