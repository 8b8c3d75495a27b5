"""Submission: the declaration is complete and goes to the operator; the declarant gets a sealed récépissé.

Récépissé format: a compact JWS (EdDSA, `typ` `signif-recepisse+jws`) sealed with the registry's seal
key (JWKS at `GET /consent/v1/.well-known/sceau.jwks.json`) over
`{"declaration_id", "numero", "soumise_le", "mentions": {"version", "sha256"}, "natures", "debut",
"fin", "version", "engagement"}` — no personal data, the engagement commits to it (journal/__init__).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.declarations import repository as repo
from services.consent.declarations.service import evenement
from services.consent.errors import DeclarationIncomplete, EtatIncompatible
from services.consent.models import Declaration
from services.consent.registre import Registre
from shared.outbox import rfc3339

RECEPISSE_TYP = "signif-recepisse+jws"
_IDENTITE_PHYSIQUE = {
    "carte_identite",
    "passeport",
    "permis_conduire",
    "carte_combattant",
    "carte_militaire",
    "titre_sejour",
}


def pieces_manquantes(type_personne: str, types: set[str]) -> list[str]:
    if type_personne == "physique":
        manquantes = [] if types & _IDENTITE_PHYSIQUE else ["pièce d'identité"]
        if "justificatif_domicile" not in types:
            manquantes.append("justificatif de domicile")
        return manquantes
    return [t for t in ("identite_representant", "pouvoirs_representant") if t not in types]


async def soumettre(
    session: AsyncSession, registre: Registre, declaration: Declaration, *, now: datetime
) -> str:
    """Move to `en_attente_verification`; return the sealed récépissé."""
    if declaration.statut != "en_attente_confirmation":
        raise EtatIncompatible("Cette déclaration a déjà été soumise ou n'est plus modifiable.")
    if declaration.confirmee_le is None:
        raise DeclarationIncomplete("L'adresse électronique n'est pas encore confirmée.")
    types = {p.type for p in await repo.pieces(session, declaration.id)}
    manquantes = pieces_manquantes(declaration.type_personne, types)
    if manquantes:
        raise DeclarationIncomplete("Pièces manquantes : " + ", ".join(manquantes) + ".")
    version = await repo.version_courante(session, declaration)
    declaration.statut = "en_attente_verification"
    declaration.soumise_le = now
    declaration.destruction_le = None  # no longer an abandoned draft (declarer: JOURS_ABANDON)
    recepisse = registre.sceau.sign(
        {
            "declaration_id": declaration.id,
            "numero": declaration.numero,
            "soumise_le": rfc3339(now),
            "mentions": {"version": declaration.mentions_version, "sha256": declaration.mentions_sha256},
            "natures": version.natures,
            "debut": version.debut.isoformat(),
            "fin": version.fin.isoformat() if version.fin else None,
            "version": version.numero,
            "engagement": version.engagement,
        },
        typ=RECEPISSE_TYP,
    )
    declaration.recepisse_jws = recepisse  # issued once: served as issued, never re-sealed
    await evenement(
        session,
        registre,
        declaration.id,
        "declaration.soumise",
        now=now,
        acteur="declarant",
        recepisse_sha256=hashlib.sha256(recepisse.encode("ascii")).hexdigest(),
    )
    return recepisse
