"""The full view of a declaration (declarant, operator, authority): decrypts its versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.declarations import repository as repo
from services.consent.declarations.schemas import DeclarationLue, PieceLue, RectificationLue, VersionLue
from services.consent.models import Declaration, Piece, Version
from services.consent.registre import Registre
from shared.crypto.aead import DataKey, decrypt


def contenu_version(dek: DataKey, version: Version) -> dict[str, Any]:
    donnees: dict[str, Any] = chiffrement.dechiffrer_json(
        dek,
        version.donnees,
        context=chiffrement.contexte(version.declaration_id, "versions", str(version.numero)),
    )
    donnees.pop("sel", None)
    return donnees


def motif_examen(dek: DataKey, version: Version) -> str | None:
    """The operator's motif of a rectification's decision, decrypted (`declarations.rectification`)."""
    if version.motif_chiffre is None:
        return None
    contexte = chiffrement.contexte(version.declaration_id, "versions", str(version.numero), "motif")
    return decrypt(dek, version.motif_chiffre, context=contexte).decode()


def changements(ancienne: dict[str, Any], nouvelle: dict[str, Any]) -> list[str]:
    """What a rectification changes: `identite` (everything but the address), `domicile` (or seat)."""
    cle = "siege" if nouvelle.get("type") == "morale" else "domicile"
    resultat = []
    if {k: v for k, v in ancienne.items() if k != cle} != {k: v for k, v in nouvelle.items() if k != cle}:
        resultat.append("identite")
    if ancienne.get(cle) != nouvelle.get(cle):
        resultat.append("domicile")
    return resultat


async def vue(
    session: AsyncSession, registre: Registre, declaration: Declaration, now: datetime
) -> DeclarationLue:
    versions = await repo.versions(session, declaration.id)
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    return composer(declaration, versions, await repo.pieces(session, declaration.id), dek, now)


def composer(
    declaration: Declaration,
    versions: Sequence[Version],
    pieces: Sequence[Piece],
    dek: DataKey,
    now: datetime,
) -> DeclarationLue:
    """The full view out of rows already read (`vue` reads them for one declaration,
    `repository.dossiers` for a list)."""
    courante = next(v for v in versions if v.numero == declaration.version_courante)
    contenu = contenu_version(dek, courante)
    rectification = None
    for v in versions:
        if v.examen == "en_attente_verification":
            proposee = contenu_version(dek, v)["personne"]
            rectification = RectificationLue(
                numero=v.numero,
                soumise_le=v.soumise_le or v.creee_le,
                personne=proposee,
                changements=changements(contenu["personne"], proposee),
            )
    return DeclarationLue(
        id=declaration.id,
        numero=declaration.numero,
        statut=repo.statut_effectif(declaration, courante, now),
        personne=contenu["personne"],
        contact=contenu["contact"],
        natures=courante.natures,
        debut=courante.debut,
        fin=courante.fin,
        mentions={"version": declaration.mentions_version, "sha256": declaration.mentions_sha256},
        declaree_le=declaration.declaree_le,
        email_confirme=declaration.confirmee_le is not None,
        soumise_le=declaration.soumise_le,
        decidee_le=declaration.decidee_le,
        revoquee_le=declaration.revoquee_le,
        destruction_le=declaration.destruction_le,
        version=courante.numero,
        versions=[
            VersionLue(
                numero=v.numero,
                creee_le=v.creee_le,
                natures=v.natures,
                debut=v.debut,
                fin=v.fin,
                engagement=v.engagement,
                examen=v.examen,
                decidee_le=v.decidee_le,
                motif=motif_examen(dek, v),
            )
            for v in versions
        ],
        rectification=rectification,
        pieces=[
            PieceLue(
                id=p.id,
                type=p.type,
                media_type=p.media_type,
                taille=p.taille,
                sha256=p.sha256,
                deposee_le=p.deposee_le,
                version=p.version,
            )
            for p in pieces
        ],
    )
