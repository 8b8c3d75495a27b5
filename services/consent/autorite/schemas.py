"""Request and response models of the judicial authority's routes (`autorite/router.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from services.consent.consultations.schemas import Identite
from services.consent.declarations.schemas import DeclarationLue

Texte = Annotated[str, Field(min_length=1, max_length=200)]


class Procedure(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    juridiction: Texte
    numero: Annotated[str, Field(min_length=1, max_length=100)]


class Recherche(BaseModel):
    model_config = ConfigDict(extra="forbid")
    procedure: Procedure
    destinataire: Identite | None = None
    declaration_id: Annotated[str, Field(max_length=36)] | None = None

    @model_validator(mode="after")
    def _une_cible(self) -> Recherche:
        if (self.destinataire is None) == (self.declaration_id is None):
            raise ValueError("donner `destinataire` ou `declaration_id`")
        return self


_CONTENU = WithJsonSchema(
    {
        "type": "object",
        "properties": {
            "personne": {
                "oneOf": [
                    {"$ref": "#/components/schemas/PersonnePhysique"},
                    {"$ref": "#/components/schemas/PersonneMorale"},
                ]
            },
            "contact": {"$ref": "#/components/schemas/Contact"},
            "natures": {"type": "array", "items": {"type": "string"}},
            "debut": {"type": "string", "format": "date"},
            "fin": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
        },
        "additionalProperties": True,
        "description": "Le contenu de la version, tel que déclaré (`personne` selon son `type`).",
    }
)


class VersionComplete(BaseModel):
    numero: int
    creee_le: datetime
    engagement: str
    contenu: Annotated[dict[str, Any], _CONTENU]
    examen: str | None = Field(
        None,
        description="null : version en vigueur dès sa création. Une rectification d'identité ou de "
        "domicile : `en_attente_verification` (jamais en vigueur tant qu'elle attend), `acceptee` (en "
        "vigueur depuis `decidee_le`) ou `rejetee` (jamais en vigueur).",
    )
    decidee_le: datetime | None = None


class EvenementLu(BaseModel):
    type: str
    survenu_le: datetime
    acteur: str
    detail: Annotated[
        dict[str, Any],
        WithJsonSchema(
            {
                "type": "object",
                "additionalProperties": True,
                "description": "Les détails propres au type d'événement (jamais une pièce ni un secret).",
            }
        ),
    ]


class DeclarationAutorite(DeclarationLue):
    decision: str | None
    motif_decision: str | None
    historique: list[VersionComplete]
    evenements: list[EvenementLu]


class Resultat(BaseModel):
    declarations: list[DeclarationAutorite]
