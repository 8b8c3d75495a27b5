"""The declarant's API for rectifying her identity or domicile (`declarations.rectification`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import TypeAdapter, ValidationError

from services.consent.declarations import rectification
from services.consent.declarations.router import JetonDep, _charger
from services.consent.declarations.schemas import Personne, VersionLue
from services.consent.dependencies import NowDep, RegistreDep, SessionDep
from services.consent.errors import DeclarationIncomplete, EtatIncompatible, JetonGestionInvalide
from shared.bornes import IdChemin
from shared.errors import TropVolumineux, TypeNonSupporte, Unprocessable, champs_invalides, error_responses

router = APIRouter(prefix="/consent/v1/declarations", tags=["déclarant"])
_PERSONNE = TypeAdapter(Personne)
TypePiece = Annotated[str | None, Form(max_length=48, description="Un code de `types_pieces`.")]
Fichier = Annotated[UploadFile | None, File(description="PDF, JPEG ou PNG, 5 Mo au plus.")]


@router.post(
    "/{declaration_id}/rectifications",
    summary="Rectifier son identité ou son domicile (nouvelles pièces)",
    status_code=201,
    response_model=VersionLue,
    responses=error_responses(
        Unprocessable,
        DeclarationIncomplete,
        EtatIncompatible,
        TropVolumineux,
        TypeNonSupporte,
        JetonGestionInvalide,
    ),
    description=(
        "Multipart : `personne`, l'identité rectifiée en JSON (même schéma que `personne` à la "
        "création, même `type` ; le SIREN ne se rectifie pas), et jusqu'à trois pièces (`type_1` + "
        "`fichier_1`, …) : une pièce d'identité si l'identité change, un justificatif de domicile (ou "
        "de siège) si l'adresse change ; pour une personne morale, le justificatif des pouvoirs du "
        "représentant (et sa pièce d'identité s'il change). Crée une nouvelle version, "
        "`examen: en_attente_verification`, chiffrée au repos : elle n'est pas en vigueur tant que "
        "l'opérateur ne l'a pas acceptée, et le registre répond d'ici là d'après la version en vigueur. "
        "Une seule rectification à la fois, sur une déclaration `active` (409 `etat-incompatible` "
        "sinon) ; pièce manquante : 409 `declaration-incomplete`. Le déclarant est prévenu par courriel "
        "de la décision et de son motif."
    ),
)
async def rectifier(
    declaration_id: IdChemin,
    personne: Annotated[str, Form(max_length=5000, description="L'identité rectifiée (JSON).")],
    jeton: JetonDep,
    session: SessionDep,
    registre: RegistreDep,
    now: NowDep,
    type_1: TypePiece = None,
    fichier_1: Fichier = None,
    type_2: TypePiece = None,
    fichier_2: Fichier = None,
    type_3: TypePiece = None,
    fichier_3: Fichier = None,
) -> VersionLue:
    declaration = await _charger(session, declaration_id, jeton, verrou=True)
    try:
        corps = _PERSONNE.validate_json(personne)
    except ValidationError as exc:
        erreurs = champs_invalides(exc.errors())
        for e in erreurs:
            e["champ"] = f"body.personne.{e['champ']}".rstrip(".")
        raise Unprocessable("Identité rectifiée invalide.", extra={"errors": erreurs}) from None
    fichiers = [(t, f) for t, f in ((type_1, fichier_1), (type_2, fichier_2), (type_3, fichier_3)) if f]
    if any(not t for t, _ in fichiers):
        raise Unprocessable("Chaque fichier a son type (`type_n` pour `fichier_n`).")
    version = await rectification.rectifier(
        session, registre, declaration, corps, [(str(t), f) for t, f in fichiers], now=now
    )
    return VersionLue.model_validate(version, from_attributes=True)
