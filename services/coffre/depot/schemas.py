"""Request metadata and response of `POST /coffre/v1/actes` (docs/fr/depot.md, docs/en/deposit.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

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
    siren: str = Field(pattern=r"^[0-9]{9}$", max_length=9)


class Derogation664(_Strict):
    """The judge's permission (CPC 664) to serve outside legal hours."""

    ordonnance: str = Field(min_length=1, max_length=200)
    juridiction: str = Field(min_length=1, max_length=200)
    date: date


class ZoneAeroportuaire(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "description": "Le domicile est dans une zone aéroportuaire rattachée à une autre cour d'appel "
            "que sa commune : l'office l'affirme et en donne la raison."
        },
    )

    """The destinataire's domicile lies inside an aerodrome zone whose cour d'appel is not its
    commune's (Roissy-CDG and Le Bourget in Val-d'Oise → Paris, Aire-sur-l'Adour in Gers → Pau; COJ
    tableau IV, legal.md §7 T3): an INSEE code cannot tell, so the office states it and why."""

    justification: str = Field(min_length=10, max_length=1000)


class Metadonnees(_Strict):
    """The `metadonnees` part of a deposit: a JSON object (`Content-Type: application/json`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "description": "La partie `metadonnees` du dépôt : un objet JSON (`Content-Type: "
            "application/json`), aucun autre membre admis (422 `metadonnees-invalides`).",
            "examples": [
                {
                    "reference_dossier": "DOS-2026-0042",
                    "nature": "signification_decision",
                    "requerant": {"nom": "SCI Les Tilleuls"},
                    "destinataire": {"declaration_id": "5d1f4a8e-3c2b-4f6a-9e1d-7b8c9d0e1f2a"},
                    "envoi_differe": True,
                },
                {
                    "reference_dossier": "DOS-2026-0043",
                    "nature": "commandement_payer",
                    "requerant": {"nom": "Banque Exemple SA"},
                    "destinataire": {
                        "type": "physique",
                        "nom": "Dupont-Lefèvre",
                        "prenoms": "Élise Marie",
                        "date_naissance": "1984-07-14",
                    },
                    "derogation_664": {
                        "ordonnance": "ORD-2026-17",
                        "juridiction": "TJ Paris",
                        "date": "2026-02-27",
                    },
                },
            ],
        },
    )

    reference_dossier: str = Field(
        min_length=1, max_length=200, description="La référence du dossier dans l'office."
    )
    nature: str = Field(
        min_length=1,
        max_length=64,
        description=(
            "Un code du catalogue (`GET /consent/v1/mentions`, `natures`) ; un autre : 422 `nature-inconnue`."
        ),
    )
    requerant: Requerant
    destinataire: DestinataireDeclaration | DestinatairePhysique | DestinataireMorale = Field(
        description=(
            "La déclaration (`declaration_id` rendu par `POST /consent/v1/consultations`) ou l'identité "
            "comme pour une consultation."
        )
    )
    derogation_664: Derogation664 | None = Field(
        None, description="L'autorisation du juge de signifier hors des heures légales (CPC 664)."
    )
    zone_aeroportuaire: ZoneAeroportuaire | None = Field(
        None,
        description=(
            "Domicile dans une zone aéroportuaire rattachée à une autre cour d'appel que sa commune "
            "(Roissy-CDG, Le Bourget, Aire-sur-l'Adour) : l'office l'affirme et dit pourquoi."
        ),
    )
    envoi_differe: bool = Field(
        True,
        description=(
            "Hors des heures légales : `true` programme l'envoi au prochain instant légal, `false` refuse "
            "(422 `hors-heures-legales`)."
        ),
    )


class ConsentementRef(BaseModel):
    declaration_id: str


class SignatureResume(BaseModel):
    valide: bool
    signataire: str
    emetteur: str
    signe_le: datetime


class Horodatage(BaseModel):
    jeton: str = Field(description="Le jeton d'horodatage : la TimeStampResp DER (RFC 3161) en base64.")
    date: datetime
    tsa: str


class JournalPreuve(BaseModel):
    index: int
    taille: int
    checkpoint: str = Field(description="Le checkpoint du répertoire qui inclut le dépôt (note signée C2SP).")
    preuve_inclusion: list[str] = Field(description="La preuve d'inclusion RFC 9162 (empreintes en base64).")


class AnnexeLue(BaseModel):
    nom: str
    sha256: str
    taille: int


class ActeCree(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "c0a8f1e2-5b6d-4c3e-8f9a-0b1c2d3e4f50",
                    "statut": "envoye",
                    "sha256": "9f2c4e1a" * 8,
                    "taille": 48213,
                    "envoye_le": "2026-03-02T09:00:00Z",
                    "envoye_le_local": "2026-03-02T10:00:00+01:00",
                    "fuseau": "Europe/Paris",
                    "consentement": {"declaration_id": "5d1f4a8e-3c2b-4f6a-9e1d-7b8c9d0e1f2a"},
                    "signature": {
                        "valide": True,
                        "signataire": "Maître Claire Martin, commissaire de justice",
                        "emetteur": "AC Commissaires de justice",
                        "signe_le": "2026-03-02T08:55:00Z",
                    },
                    "horodatage": {"jeton": "MIIE...", "date": "2026-03-02T09:00:00Z", "tsa": "Signif TSA"},
                    "journal": {
                        "index": 12,
                        "taille": 13,
                        "checkpoint": "signif.example/coffre/repertoire\n13\n...\n",
                        "preuve_inclusion": ["q8Xk...=", "3vY1...="],
                    },
                    "annexes": [],
                }
            ]
        }
    )

    id: str
    statut: Literal["envoye", "programme"]
    sha256: str
    taille: int
    envoye_le: datetime | None = None
    envoye_le_local: str | None = None
    envoi_prevu_le: datetime | None = None
    envoi_prevu_le_local: str | None = None
    fuseau: str
    consentement: ConsentementRef
    signature: SignatureResume
    horodatage: Horodatage | None = None
    journal: JournalPreuve
    annexes: list[AnnexeLue] = Field(default_factory=list)
