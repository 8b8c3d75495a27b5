"""`GET /mentions`: what the declaration form must show, in full; earlier versions stay readable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.consent.mentions.schemas import Mentions, MentionsVersion
from services.consent.mentions.textes import document, version_affichee
from shared.bornes import IdChemin
from shared.errors import Introuvable, error_responses

router = APIRouter(prefix="/consent/v1", tags=["déclarant"])


@router.get(
    "/mentions",
    summary=("Mentions légales, catalogue des natures et des pièces"),
    response_model=Mentions,
    description=(
        "Les textes légaux que le formulaire de déclaration doit afficher en entier (CPC 653, 662-1, 663,"
        " 664, 664-1 et la notice d'information), leur `version` et leur `sha256` à recopier dans la "
        "déclaration (preuve de ce qui a été affiché), le catalogue des `natures` d'actes et des "
        "`types_pieces` justificatives. Public et sans effet."
    ),
)
async def mentions() -> dict[str, Any]:
    return document()


@router.get(
    "/mentions/versions/{version}",
    summary="Les textes qu'une version des mentions affichait, avec leur empreinte",
    description=(
        "Une déclaration garde la version des mentions qui lui a été affichée (`mentions.version`, "
        "`mentions.sha256`) ; cette route rend les textes de cette version tels qu'ils étaient, même "
        "après qu'une version plus récente est entrée en vigueur. `en_vigueur` dit si c'est la version "
        "actuelle. 404 `introuvable` pour une version qui n'a jamais existé."
    ),
    responses=error_responses(Introuvable),
    response_model=MentionsVersion,
)
async def mentions_version(version: IdChemin) -> dict[str, Any]:
    texte = version_affichee(version)
    if texte is None:
        raise Introuvable(f"Aucune version « {version[:32]} » des mentions légales.")
    return texte
