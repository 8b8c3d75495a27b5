"""Request and response bodies of the declarant's API (docs/fr/contrat.md, « Le déclarant »)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictBool, WithJsonSchema, field_validator

from services.consent.identite import siren_valide
from services.consent.mentions.textes import CODES_NATURES, TOUTES_NATURES
from shared.bornes import Email, Nature, Siren
from shared.territoire import TerritoireInvalide, territoire_de

Texte = Annotated[str, Field(min_length=1, max_length=200)]


class _Requete(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Adresse(_Requete):
    adresse: Annotated[str, Field(min_length=1, max_length=300)]
    code_postal: Annotated[str, Field(min_length=1, max_length=12)]
    commune: Texte
    commune_insee: Annotated[str, Field(min_length=5, max_length=5)]
    pays: Texte = "France"

    @field_validator("commune_insee")
    @classmethod
    def _insee(cls, value: str) -> str:
        try:
            return territoire_de(value).commune_insee
        except TerritoireInvalide as exc:
            raise ValueError("code commune INSEE invalide") from exc


class PersonnePhysique(_Requete):
    type: Literal["physique"]
    nom: Texte
    prenoms: Texte
    date_naissance: date
    lieu_naissance: Texte
    domicile: Adresse


class Representant(_Requete):
    nom: Texte
    prenoms: Texte


class PersonneMorale(_Requete):
    type: Literal["morale"]
    denomination: Texte
    forme_juridique: Texte
    siren: Siren
    representant: Representant
    siege: Adresse

    @field_validator("siren")
    @classmethod
    def _siren(cls, value: str) -> str:
        value = value.replace(" ", "")
        if not siren_valide(value):
            raise ValueError("SIREN invalide (9 chiffres, clé de Luhn)")
        return value


Personne = Annotated[PersonnePhysique | PersonneMorale, Field(discriminator="type")]


class Contact(_Requete):
    email: Email
    mobile: Annotated[str, Field(max_length=20, pattern=r"^\+?[0-9 .]{6,20}$")] | None = None


class MentionsAffichees(_Requete):
    version: Annotated[str, Field(max_length=32)]
    sha256: Annotated[str, Field(max_length=64, pattern=r"^[0-9a-f]{64}$")]


def verifier_natures(natures: list[str]) -> list[str]:
    if natures == [TOUTES_NATURES]:
        return natures
    inconnues = [n for n in natures if n not in CODES_NATURES]
    if inconnues or len(set(natures)) != len(natures):
        raise ValueError("nature inconnue ou répétée (voir GET /mentions)")
    return sorted(natures)


class DeclarationCreate(_Requete):
    personne: Personne
    contact: Contact
    natures: Annotated[list[Nature], Field(min_length=1, max_length=len(CODES_NATURES))]
    debut: date | None = None
    fin: date | None
    mentions: MentionsAffichees
    consentement_expres: StrictBool
    mot_de_passe: Annotated[SecretStr, Field(min_length=12, max_length=256)]

    @field_validator("natures")
    @classmethod
    def _natures(cls, value: list[str]) -> list[str]:
        return verifier_natures(value)

    @field_validator("consentement_expres")
    @classmethod
    def _expres(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("le consentement exprès doit être donné (true)")
        return value


class DeclarationCreee(BaseModel):
    id: str
    numero: str
    statut: str
    jeton_gestion: str


class Code(_Requete):
    code: Annotated[str, Field(max_length=8, pattern=r"^[0-9]{6,8}$")]


class Confirmee(BaseModel):
    id: str
    statut: str
    email_confirme: bool


class CodeRenvoye(BaseModel):
    """A new confirmation code went to the declared e-mail address."""

    model_config = ConfigDict(
        json_schema_extra={"description": "Un nouveau code est parti vers l'adresse électronique déclarée."}
    )

    code_expire_le: datetime


class PieceLue(BaseModel):
    id: str
    type: str
    media_type: str
    taille: int
    sha256: str
    deposee_le: datetime
    version: int | None = Field(
        None,
        description="La rectification (numéro de version) que la pièce justifie ; null : la déclaration.",
    )


class Recepisse(BaseModel):
    numero: str
    soumise_le: datetime
    jws: str


class Soumise(BaseModel):
    id: str
    statut: str
    recepisse: Recepisse


class Revoquee(BaseModel):
    id: str
    statut: Literal["revoquee"]
    revoquee_le: datetime


class ContactChange(_Requete):
    contact: Contact


class ContactEnAttenteLu(BaseModel):
    """The new e-mail address waits for the code sent to it."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "La nouvelle adresse attend le retour du code qui lui a été envoyé."
        }
    )

    email: str
    code_expire_le: datetime


class VersionLue(BaseModel):
    numero: int
    creee_le: datetime
    natures: list[str]
    debut: date
    fin: date | None
    engagement: str
    examen: str | None = Field(
        None,
        description="null : version en vigueur dès sa création (déclaration, coordonnées). Une "
        "rectification : `en_attente_verification` (pas en vigueur ; le registre répond d'après la "
        "version en vigueur), puis `acceptee` ou `rejetee` par l'opérateur.",
    )
    decidee_le: datetime | None = Field(None, description="La décision de l'opérateur sur la rectification.")
    motif: str | None = Field(None, description="Le motif de cette décision.")


#: The stored identity and contact are the declaration's own bodies, as declared (documented by the
#: request schemas; read back as stored, never re-validated).
PERSONNE_LUE = WithJsonSchema(
    {
        "oneOf": [
            {"$ref": "#/components/schemas/PersonnePhysique"},
            {"$ref": "#/components/schemas/PersonneMorale"},
        ],
        "description": "L'identité déclarée (selon `type`).",
    }
)
CONTACT_LU = WithJsonSchema(
    {"allOf": [{"$ref": "#/components/schemas/Contact"}], "description": "Les coordonnées déclarées."}
)


class RectificationLue(BaseModel):
    """A rectification of the identity or domicile, waiting for the operator (not in force)."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Une rectification de l'identité ou du domicile, en attente de vérification : "
            "elle n'est pas en vigueur tant que l'opérateur ne l'a pas acceptée."
        }
    )

    numero: int = Field(description="Son numéro de version.")
    soumise_le: datetime
    personne: Annotated[dict[str, object], PERSONNE_LUE]
    changements: list[str] = Field(description="`identite`, `domicile` (ou siège).")


class DeclarationLue(BaseModel):
    id: str
    numero: str
    statut: str = Field(
        description="`en_attente_confirmation`, `en_attente_verification`, `active`, `rejetee`, `revoquee`, "
        "`expiree`."
    )
    personne: Annotated[dict[str, object], PERSONNE_LUE]
    contact: Annotated[dict[str, object], CONTACT_LU]
    natures: list[str]
    debut: date
    fin: date | None
    mentions: dict[str, str]
    declaree_le: datetime
    email_confirme: bool
    soumise_le: datetime | None
    decidee_le: datetime | None
    revoquee_le: datetime | None
    destruction_le: date | None
    version: int = Field(description="La version en vigueur : celle d'après laquelle le registre répond.")
    versions: list[VersionLue]
    pieces: list[PieceLue]
    rectification: RectificationLue | None = Field(
        None, description="La rectification en attente de vérification par l'opérateur, s'il y en a une."
    )
