"""Consultation bodies: exactly the contract's minimal answer (docs/fr/contrat.md, commissaire)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from services.consent.identite import siren_valide
from services.consent.mentions.textes import CODES_NATURES
from shared.bornes import Nature, Siren

Texte = Annotated[str, Field(min_length=1, max_length=200)]
Motif = Literal["absent", "revoque", "expire", "hors_perimetre", "non_verifie"]


class _Requete(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IdentitePhysique(_Requete):
    type: Literal["physique"]
    nom: Texte
    prenoms: Texte
    date_naissance: date


class IdentiteMorale(_Requete):
    type: Literal["morale"]
    siren: Siren

    @field_validator("siren")
    @classmethod
    def _siren(cls, value: str) -> str:
        value = value.replace(" ", "")
        if not siren_valide(value):
            raise ValueError("SIREN invalide (9 chiffres, clé de Luhn)")
        return value


Identite = Annotated[IdentitePhysique | IdentiteMorale, Field(discriminator="type")]


def nature_connue(value: str) -> str:
    if value not in CODES_NATURES:
        raise ValueError("nature inconnue (voir GET /mentions)")
    return value


class ConsultationDemande(_Requete):
    destinataire: Identite
    nature: Nature
    reference_dossier: Texte
    a: AwareDatetime | None = None

    @field_validator("nature")
    @classmethod
    def _nature(cls, value: str) -> str:
        return nature_connue(value)


class ConsentementOui(BaseModel):
    consentement: Literal[True]
    declaration_id: str
    natures: list[str]
    valide_jusqu_au: date | None


class ConsentementNon(BaseModel):
    consentement: Literal[False]
    motif: Motif


class ParDeclaration(_Requete):
    declaration_id: Annotated[str, Field(min_length=1, max_length=36)]


class VerificationDemande(_Requete):
    destinataire: ParDeclaration | Identite
    nature: Nature
    a: AwareDatetime

    @field_validator("nature")
    @classmethod
    def _nature(cls, value: str) -> str:
        return nature_connue(value)


class Canal(BaseModel):
    email: str
    mobile: str | None


class VerificationOui(BaseModel):
    consentement: Literal[True]
    declaration_id: str
    numero: str = Field(
        description="Numéro d'enregistrement de la déclaration (`RC-…`), celui que le certificat de "
        "signification cite."
    )
    version: int
    natures: list[str]
    declaree_le: datetime | None = Field(
        None, description="Soumission de la déclaration (son jour de dépôt)."
    )
    debut: date
    fin: date | None
    canal: Canal
    commune_insee: str
    cour_appel: str | None
    fuseau: str
    subdivision_feries: str | None


class CanalLu(BaseModel):
    declaration_id: str
    email: str
    mobile: str | None
