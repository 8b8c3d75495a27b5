"""Request metadata and response of `POST /coffre/v1/actes` (API.md §coffre)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Requerant(_Strict):
    nom: str = Field(min_length=1, max_length=200)


class DestinataireDeclaration(_Strict):
    declaration_id: str = Field(min_length=1, max_length=100)


class DestinatairePhysique(_Strict):
    type: Literal["physique"]
    nom: str = Field(min_length=1, max_length=200)
    prenoms: str = Field(min_length=1, max_length=200)
    date_naissance: date


class DestinataireMorale(_Strict):
    type: Literal["morale"]
    siren: str = Field(pattern=r"^[0-9]{9}$")


class Derogation664(_Strict):
    """The judge's permission (CPC 664) to serve outside legal hours."""

    ordonnance: str = Field(min_length=1, max_length=200)
    juridiction: str = Field(min_length=1, max_length=200)
    date: date


class ZoneAeroportuaire(_Strict):
    """The destinataire's domicile lies inside an aerodrome zone whose cour d'appel is not its
    commune's (Roissy-CDG and Le Bourget in Val-d'Oise → Paris, Aire-sur-l'Adour in Gers → Pau; COJ
    tableau IV, legal.md §7 T3): an INSEE code cannot tell, so the office states it and why."""

    justification: str = Field(min_length=10, max_length=1000)


class Metadonnees(_Strict):
    reference_dossier: str = Field(min_length=1, max_length=200)
    nature: str = Field(min_length=1, max_length=64)
    requerant: Requerant
    destinataire: DestinataireDeclaration | DestinatairePhysique | DestinataireMorale
    derogation_664: Derogation664 | None = None
    zone_aeroportuaire: ZoneAeroportuaire | None = None
    envoi_differe: bool = True


class ConsentementRef(BaseModel):
    declaration_id: str


class SignatureResume(BaseModel):
    valide: bool
    signataire: str
    emetteur: str
    signe_le: datetime


class Horodatage(BaseModel):
    jeton: str = Field(description="base64 of the DER TimeStampResp (RFC 3161)")
    date: datetime
    tsa: str


class JournalPreuve(BaseModel):
    index: int
    taille: int
    checkpoint: str = Field(description="C2SP signed note")
    preuve_inclusion: list[str] = Field(description="RFC 9162 inclusion proof, base64 hashes")


class ActeCree(BaseModel):
    id: str
    statut: Literal["envoye", "programme"]
    sha256: str
    taille: int
    envoye_le: datetime | None
    envoye_le_local: str | None = None
    envoi_prevu_le: datetime | None
    envoi_prevu_le_local: str | None = None
    fuseau: str
    consentement: ConsentementRef
    signature: SignatureResume
    horodatage: Horodatage | None
    journal: JournalPreuve
    annexes: list[dict[str, Any]] = Field(default_factory=list)
