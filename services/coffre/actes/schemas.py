"""The office's and the authority's views of an acte (`vues.py` builds them as dicts), as models for
the OpenAPI documents. Instants stay the strings `vues.instant` writes (RFC 3339, `Z`): the models
describe them (`date-time`) without re-serialising them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from services.coffre.depot.schemas import AnnexeLue

Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Jour = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
_ACTE = "c0a8f1e2-5b6d-4c3e-8f9a-0b1c2d3e4f50"
_STATUTS = "`programme`, `envoye`, `pris_connaissance` ou `annule`."


class ActeResume(BaseModel):
    id: str
    statut: str = Field(description=_STATUTS)
    reference_dossier: str
    nature: str
    nature_libelle: str
    sha256: str
    taille: int
    depose_le: Instant
    envoye_le: Instant | None = Field(description="La date et l'heure de la signification (CPC 664-1).")
    envoi_prevu_le: Instant | None
    fuseau: str = Field(description="Le fuseau IANA du domicile du destinataire.")


_RESUME: dict[str, Any] = {
    "id": _ACTE,
    "statut": "envoye",
    "reference_dossier": "DOS-2026-0042",
    "nature": "signification_decision",
    "nature_libelle": "Signification d'une décision de justice",
    "sha256": "9f2c4e1a" * 8,
    "taille": 48213,
    "depose_le": "2026-03-02T09:00:00Z",
    "envoye_le": "2026-03-02T09:00:00Z",
    "envoi_prevu_le": None,
    "fuseau": "Europe/Paris",
}


class PageActes(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"elements": [_RESUME], "suivant": None}]})
    elements: list[ActeResume]
    suivant: str | None = Field(description="Le curseur de la page suivante (`?apres=`), null à la fin.")


class LettreSimpleLue(BaseModel):
    due_le: Jour = Field(description="Le premier jour ouvrable après l'envoi (CPC 662-1).")
    envoyee_le: Jour | None


class RequerantLu(BaseModel):
    model_config = ConfigDict(extra="allow")
    nom: str


class DerogationLue(BaseModel):
    model_config = ConfigDict(extra="allow")
    ordonnance: str
    juridiction: str
    date: Jour


class ConsentementLu(BaseModel):
    declaration_id: str


class HorodatageLu(BaseModel):
    date: Instant | None
    tsa: str | None


class EvenementActe(BaseModel):
    type: str = Field(description="`depot`, `envoi`, `avis_mise_a_disposition`, `prise_connaissance`, ...")
    instant: Instant
    journal_index: int | None = Field(description="La feuille du répertoire qui l'inscrit.")
    donnees: dict[str, Any] | None = Field(
        None,
        description="Les détails propres au type (absent quand il n'y en a pas) ; le jeton d'horodatage "
        "n'y figure pas (il est dans le lot de preuves).",
    )


class LiensActe(BaseModel):
    document: str
    preuves: str


class ActeDetail(ActeResume):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_RESUME,
                    "mode": "a_domicile",
                    "pris_connaissance_le": None,
                    "lettre_simple": {"due_le": "2026-03-03", "envoyee_le": None},
                    "requerant": {"nom": "SCI Les Tilleuls"},
                    "consentement": {"declaration_id": "5d1f4a8e-3c2b-4f6a-9e1d-7b8c9d0e1f2a"},
                    "derogation_664": None,
                    "motif_annulation": None,
                    "horodatage": {"date": "2026-03-02T09:00:00Z", "tsa": "Signif TSA"},
                    "journal_index": 12,
                    "annexes": [],
                    "evenements": [
                        {"type": "depot", "instant": "2026-03-02T09:00:00Z", "journal_index": 12},
                        {
                            "type": "mode_fixe",
                            "instant": "2026-03-02T23:00:00Z",
                            "journal_index": 15,
                            "donnees": {"mode": "a_domicile", "lettre_simple_due_le": "2026-03-03"},
                        },
                    ],
                    "liens": {
                        "document": f"/coffre/v1/actes/{_ACTE}/document",
                        "preuves": f"/coffre/v1/actes/{_ACTE}/preuves",
                    },
                }
            ]
        }
    )
    mode: Literal["a_personne", "a_domicile"] | None = Field(description="Fixé à minuit le jour de l'envoi.")
    pris_connaissance_le: Instant | None
    lettre_simple: LettreSimpleLue | None = Field(description="Avec le mode `a_domicile`.")
    requerant: RequerantLu
    consentement: ConsentementLu
    derogation_664: DerogationLue | None
    motif_annulation: str | None = Field(description="Le code du contrôle qui a annulé un envoi programmé.")
    horodatage: HorodatageLu
    journal_index: int | None
    annexes: list[AnnexeLue]
    evenements: list[EvenementActe]
    liens: LiensActe


class RechercheActes(BaseModel):
    actes: list[ActeDetail]
    journal_index: int = Field(description="La feuille du répertoire qui consigne cette recherche.")


class EnvoiLettreEnregistre(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"envoyee_le": "2026-03-03", "journal_index": 17, "corrige": None}]}
    )
    envoyee_le: Jour
    journal_index: int = Field(description="La feuille du répertoire qui consigne l'envoi.")
    corrige: int | None = Field(description="Pour une correction : la feuille de l'envoi qu'elle corrige.")


class DocumentEmis(BaseModel):
    type: str = Field(description="`avis_reception`, `certificat` ou `lettre_simple`.")
    version: int
    sha256: str = Field(description="SHA-256 du PDF émis.")
    taille: int
    emis_le: Instant
    journal_index: int | None = Field(description="La feuille du répertoire qui inscrit cette version.")
    en_vigueur: bool = Field(description="Si c'est la dernière version de ce document.")
    url: str


class DocumentsEmis(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "acte_id": _ACTE,
                    "documents": [
                        {
                            "type": "certificat",
                            "version": 1,
                            "sha256": "9f2c4e1a" * 8,
                            "taille": 52113,
                            "emis_le": "2026-03-02T23:00:00Z",
                            "journal_index": 16,
                            "en_vigueur": True,
                            "url": f"/coffre/v1/actes/{_ACTE}/documents/certificat/1",
                        }
                    ],
                }
            ]
        }
    )
    acte_id: str
    documents: list[DocumentEmis]
