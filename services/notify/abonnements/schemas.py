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
        description="Le point de réception des webhooks (`https://`, une adresse publique), ou "
        "`mailto:<adresse>` pour recevoir les événements par courriel (l'avis de réception avec son JWS "
        "en pièce jointe) ; mêmes nouvelles tentatives dans les deux cas.",
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
