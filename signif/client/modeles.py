"""Typed answers of the platform, as the office reads them.

Fields the office uses are typed; every model keeps the fields it does not name (`extra="allow"`),
so a field added to the API later never breaks an office's software.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Modele(BaseModel):
    model_config = ConfigDict(extra="allow")


class Signature(_Modele):
    valide: bool
    signataire: str | None = None
    emetteur: str | None = None
    signe_le: datetime | None = None


class Horodatage(_Modele):
    jeton: str | None = None  # base64 DER TimeStampResp (RFC 3161)
    date: datetime | None = None
    tsa: str | None = None


class ActeDepose(_Modele):
    """The answer to a deposit (201): sent now (`envoye`) or scheduled for legal hours (`programme`)."""

    id: str
    statut: Literal["envoye", "programme"]
    sha256: str
    taille: int
    envoye_le: datetime | None = None
    envoi_prevu_le: datetime | None = None
    signature: Signature | None = None
    horodatage: Horodatage | None = None
    journal: dict[str, Any] | None = None


class LettreSimpleSuivi(_Modele):
    due_le: date
    envoyee_le: date | None = None


class EvenementActe(_Modele):
    type: str
    instant: datetime
    journal_index: int | None = None
    donnees: dict[str, Any] = Field(default_factory=dict)


class Acte(_Modele):
    """`GET /coffre/v1/actes/{id}`: where the signification stands."""

    id: str
    statut: str  # programme | envoye | pris_connaissance (| annule)
    reference_dossier: str
    nature: str
    sha256: str
    envoye_le: datetime | None = None
    envoi_prevu_le: datetime | None = None
    fuseau: str | None = None
    mode: Literal["a_personne", "a_domicile"] | None = None
    pris_connaissance_le: datetime | None = None
    lettre_simple: LettreSimpleSuivi | None = None
    evenements: list[EvenementActe] = Field(default_factory=list)


class PageActes(_Modele):
    elements: list[dict[str, Any]]
    suivant: str | None = None


class AvisReception(_Modele):
    """The avis électronique de réception: its JWS (EdDSA, the platform's seal, `kid`) and its content."""

    jws: str
    kid: str
    contenu: dict[str, Any]


class Consultation(_Modele):
    consentement: bool
    declaration_id: str | None = None
    natures: list[str] | None = None
    valide_jusqu_au: date | None = None
    motif: str | None = None


class Abonnement(_Modele):
    id: str
    url: str
    types: list[str]


class AbonnementCree(Abonnement):
    """Returned once, at creation: keep `secret` (`whsec_...`) to verify the webhooks' v1 signatures."""

    secret: str


class Evenement(_Modele):
    """One event of the office, as a webhook body or an element of the pull feed."""

    id: str
    type: str
    cree_le: datetime
    donnees: dict[str, Any] = Field(default_factory=dict)
    curseur: str | None = None  # in the pull feed only: resume after this event with `apres=curseur`
