"""Rectifying one's identity or domicile with new proofs (the legal notice's right of rectification,
exercised « depuis votre espace personnel » or through the API).

A rectification is a new version of the declaration (`Version.examen` = `en_attente_verification`),
encrypted under the declaration's data key like every version, with the proofs that support it
(`Piece.version`). It is not in force while it waits: the registry keeps answering commissaires
from the version in force (`Declaration.version_courante`) until the operator accepts it. Rejected,
it stays in the history with the operator's motif and never comes into force. One at a time.

Accepted, the rectified identity and domicile come into force at that instant. If the contact details
changed while it waited (a later version already in force), one more version is made — the rectified
person with the contact in force — so neither change is lost. The identity's blind index follows (a
commissaire now finds her under the rectified identity); `personne_id`, her account's, does not change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from services.consent import chiffrement
from services.consent.declarations import avis, pieces
from services.consent.declarations import repository as repo
from services.consent.declarations.schemas import PersonneMorale, PersonnePhysique
from services.consent.declarations.service import evenement, nouvelle_version
from services.consent.declarations.vue import changements, contenu_version
from services.consent.errors import DeclarationIncomplete, EtatIncompatible
from services.consent.identite import forme_morale, forme_physique
from services.consent.models import Declaration, Version
from services.consent.registre import Registre
from shared.crypto.aead import encrypt
from shared.errors import Introuvable, Unprocessable

ATTENTE = "en_attente_verification"
#: At most this many proofs with one rectification (identity, domicile, and one spare).
PIECES_MAX = 3
_IDENTITE_PHYSIQUE = {
    "carte_identite",
    "passeport",
    "permis_conduire",
    "carte_combattant",
    "carte_militaire",
    "titre_sejour",
}


def pieces_requises(ancienne: dict[str, Any], nouvelle: dict[str, Any]) -> list[tuple[set[str], str]]:
    """The proofs a rectification needs: (the `types_pieces` codes that fit, what to ask for)."""
    changes = changements(ancienne, nouvelle)
    requises: list[tuple[set[str], str]] = []
    if nouvelle.get("type") == "morale":
        if "identite" in changes:
            requises.append(({"pouvoirs_representant"}, "un justificatif des pouvoirs du représentant légal"))
        if ancienne.get("representant") != nouvelle.get("representant"):
            requises.append(({"identite_representant"}, "la pièce d'identité du représentant légal"))
        if "domicile" in changes:
            requises.append(({"justificatif_siege"}, "un justificatif du siège social"))
        return requises
    if "identite" in changes:
        requises.append((_IDENTITE_PHYSIQUE, "une pièce d'identité"))
    if "domicile" in changes:
        requises.append(({"justificatif_domicile"}, "un justificatif de domicile"))
    return requises


async def en_examen(session: AsyncSession, declaration_id: str) -> Version | None:
    """The rectification waiting for the operator, if any."""
    return await repo.en_examen(session, declaration_id, ATTENTE)


async def rectifier(
    session: AsyncSession,
    registre: Registre,
    declaration: Declaration,
    personne: PersonnePhysique | PersonneMorale,
    fichiers: list[tuple[str, UploadFile]],
    *,
    now: datetime,
) -> Version:
    """Propose a rectified identity or domicile with its proofs: a new version under review.

    Everything is checked (state, what changed, each proof) before anything is stored."""
    courante = await repo.version_courante(session, declaration)
    if repo.statut_effectif(declaration, courante, now) != "active":
        raise EtatIncompatible("Seule une déclaration en vigueur (active) peut être rectifiée.")
    if await en_examen(session, declaration.id) is not None:
        raise EtatIncompatible(
            "Une rectification est déjà en cours d'examen : attendez la décision de l'opérateur."
        )
    nouvelle = personne.model_dump(mode="json")
    if nouvelle["type"] != declaration.type_personne:
        raise Unprocessable("Le type de personne (physique ou morale) ne se rectifie pas.")
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    ancien = contenu_version(dek, courante)
    if nouvelle["type"] == "morale" and nouvelle["siren"] != ancien["personne"].get("siren"):
        raise Unprocessable(
            "Le SIREN ne se rectifie pas : une autre personne morale fait sa propre déclaration."
        )
    if not changements(ancien["personne"], nouvelle):
        raise Unprocessable("Rien n'a changé : modifiez votre identité ou votre domicile.")
    if len(fichiers) > PIECES_MAX:
        raise Unprocessable(f"{PIECES_MAX} pièces au plus par rectification.")
    lues = [await pieces.lire_piece(registre, declaration.type_personne, t, f) for t, f in fichiers]
    types = {lue.type for lue in lues}
    manquantes = [
        libelle for codes, libelle in pieces_requises(ancien["personne"], nouvelle) if not codes & types
    ]
    if manquantes:
        raise DeclarationIncomplete(
            "Pièces manquantes pour cette rectification : " + ", ".join(manquantes) + "."
        )
    version = nouvelle_version(
        dek=dek,
        declaration_id=declaration.id,
        numero=await repo.prochain_numero(session, declaration.id),
        personne=nouvelle,
        contact=ancien["contact"],
        natures=courante.natures,
        debut=courante.debut,
        fin=courante.fin,
        now=now,
    )
    version.examen, version.soumise_le = ATTENTE, now
    session.add(version)
    for lue in lues:
        await pieces.enregistrer(session, registre, declaration, lue, now=now, version=version.numero)
    await evenement(
        session,
        registre,
        declaration.id,
        "declaration.rectification_demandee",
        now=now,
        acteur="declarant",
        version=version.numero,
        engagement=version.engagement,
        changements=changements(ancien["personne"], nouvelle),
    )
    return version


async def decider(
    session: AsyncSession,
    registre: Registre,
    declaration: Declaration,
    numero: int,
    decision: str,
    motif_decision: str,
    *,
    now: datetime,
    acteur: str,
) -> Version:
    """The operator's decision on a rectification: `acceptee` brings it into force now, `rejetee`
    keeps the version in force. The declarant is told by e-mail, with the motif."""
    version = await repo.version(session, declaration.id, numero)
    if version is None:
        raise Introuvable("Rectification introuvable.")
    if version.examen != ATTENTE:
        raise EtatIncompatible("Seule une rectification en attente de vérification peut être décidée.")
    if declaration.statut != "active":
        raise EtatIncompatible("La déclaration n'est plus en vigueur : la rectification reste sans suite.")
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    version.examen, version.decidee_le = decision, now
    version.motif_chiffre = encrypt(
        dek,
        motif_decision.encode(),
        context=chiffrement.contexte(declaration.id, "versions", str(numero), "motif"),
    )
    en_vigueur = numero
    if decision == "acceptee":
        courante = await repo.version_courante(session, declaration)
        personne = contenu_version(dek, version)["personne"]
        if courante.numero > numero:  # a contact change came into force while it waited
            fusion = nouvelle_version(
                dek=dek,
                declaration_id=declaration.id,
                numero=await repo.prochain_numero(session, declaration.id),
                personne=personne,
                contact=contenu_version(dek, courante)["contact"],
                natures=courante.natures,
                debut=courante.debut,
                fin=courante.fin,
                now=now,
            )
            session.add(fusion)
            en_vigueur = fusion.numero
        declaration.version_courante = en_vigueur
        forme = (
            forme_morale(personne["siren"])
            if personne["type"] == "morale"
            else forme_physique(
                personne["nom"], personne["prenoms"], date.fromisoformat(personne["date_naissance"])
            )
        )
        declaration.identite_index = registre.indexeur.identite(forme)
    await avis.planifier(session, declaration, f"rectification_{decision}", now=now, version=numero)
    await evenement(
        session,
        registre,
        declaration.id,
        f"declaration.rectification_{decision}",
        now=now,
        acteur=acteur,
        version=numero,
        version_en_vigueur=en_vigueur if decision == "acceptee" else declaration.version_courante,
    )
    return version
