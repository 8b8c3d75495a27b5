"""The bodies of `GET /mentions` and `GET /mentions/versions/{version}` (built by `textes`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Article(BaseModel):
    reference: str = Field(description="`CPC 653`, `CPC 662-1`...")
    titre: str
    texte: str = Field(description="Le texte entier, alinéas séparés par un saut de ligne.")


class Notice(BaseModel):
    titre: str
    texte: str


class Nature(BaseModel):
    code: str = Field(
        description="Le code à donner dans `natures` (déclaration) ou `nature` (dépôt) ; `*` : tous."
    )
    libelle: str


class TypePiece(BaseModel):
    code: str
    libelle: str
    personne: str = Field(description="`physique` ou `morale` : à quelle personne la pièce s'applique.")


class _Textes(BaseModel):
    version: str = Field(description="À recopier dans `mentions.version` de la déclaration.")
    articles: list[Article]
    notice: Notice
    sha256: str = Field(
        description="SHA-256 du JSON canonique (clés triées, sans espace, UTF-8) de `version`, `articles` "
        "et `notice` ; à recopier dans `mentions.sha256`."
    )


class Mentions(_Textes):
    natures: list[Nature]
    types_pieces: list[TypePiece]


class MentionsVersion(_Textes):
    en_vigueur: bool = Field(description="Si c'est la version affichée aujourd'hui.")
