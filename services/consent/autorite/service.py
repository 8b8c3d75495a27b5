"""The judicial authority's searches and proof downloads: purpose-bound, logged, read in full.

Every call names the procedure (juridiction + numéro); it is logged (`consent_recherches_autorite`
+ a log leaf with a keyed hash of the procedure) in the transaction that reads. A search answers
every declaration of the person still within retention (revoked ones included) with its full
version history and events, read with one query per table whatever the number of declarations
(`declarations.repository.dossiers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.autorite import repository
from services.consent.autorite.procedure import reference_procedure
from services.consent.autorite.schemas import (
    DeclarationAutorite,
    EvenementLu,
    Procedure,
    Recherche,
    VersionComplete,
)
from services.consent.consultations.service import forme
from services.consent.declarations import pieces
from services.consent.declarations import repository as declarations
from services.consent.declarations.vue import composer, contenu_version
from services.consent.journal.service import consigner
from services.consent.models import Declaration, Piece, RechercheAutorite
from services.consent.registre import Registre
from shared.auth import Autorite
from shared.crypto.aead import decrypt
from shared.errors import Introuvable


async def journaliser(
    session: AsyncSession,
    registre: Registre,
    autorite: Autorite,
    procedure: Procedure,
    *,
    objet: str,
    ids: list[str],
    piece_id: str | None,
    now: datetime,
) -> None:
    reference = reference_procedure(registre, procedure)
    ligne = RechercheAutorite(
        faite_le=now,
        autorite=autorite.sub,
        juridiction=autorite.juridiction,
        procedure_juridiction=procedure.juridiction,
        procedure_numero=procedure.numero,
        objet=objet,
        declaration_ids=ids,
        piece_id=piece_id,
    )
    session.add(ligne)
    await consigner(
        session,
        registre,
        f"autorite.{objet}",
        now=now,
        ligne=ligne,
        autorite=autorite.sub,
        procedure=reference,
        declaration_ids=ids,
        piece_id=piece_id,
        # a single-declaration query is part of that declaration's history (registre bundles)
        **({"declaration_id": ids[0]} if len(ids) == 1 else {}),
    )


async def completes(
    session: AsyncSession, registre: Registre, liste: Sequence[Declaration], now: datetime
) -> list[DeclarationAutorite]:
    """The full view of each declaration of `liste`, with its decision, history and events."""
    dossiers = await declarations.dossiers(session, [d.id for d in liste])
    resultat = []
    for declaration in liste:
        dossier = dossiers.get(declaration.id)
        if dossier is None:
            raise Introuvable("Déclaration introuvable.")
        dek = chiffrement.ouvrir_cle(registre.keys, declaration.id, dossier.cle_enveloppee)
        base = composer(declaration, dossier.versions, dossier.pieces, dek, now)
        motif = (
            decrypt(
                dek, declaration.motif_chiffre, context=chiffrement.contexte(declaration.id, "motif")
            ).decode()
            if declaration.motif_chiffre
            else None
        )
        resultat.append(
            DeclarationAutorite(
                **base.model_dump(),
                decision=declaration.decision,
                motif_decision=motif,
                historique=[
                    VersionComplete(
                        numero=v.numero,
                        creee_le=v.creee_le,
                        engagement=v.engagement,
                        contenu=contenu_version(dek, v),
                        examen=v.examen,
                        decidee_le=v.decidee_le,
                    )
                    for v in dossier.versions
                ],
                evenements=[EvenementLu.model_validate(e, from_attributes=True) for e in dossier.evenements],
            )
        )
    return resultat


async def rechercher(
    session: AsyncSession, registre: Registre, autorite: Autorite, corps: Recherche, *, now: datetime
) -> list[DeclarationAutorite]:
    """The declarations the search targets (a person, or one declaration), logged with the procedure."""
    if corps.destinataire is not None:
        index = registre.indexeur.identite(forme(corps.destinataire))
        trouvees = await repository.par_identite(session, index)
    else:
        trouvees = await repository.par_id(session, str(corps.declaration_id))
    ids = [d.id for d in trouvees]
    await journaliser(
        session, registre, autorite, corps.procedure, objet="recherche", ids=ids, piece_id=None, now=now
    )
    return await completes(session, registre, trouvees, now)


async def piece(
    session: AsyncSession,
    registre: Registre,
    autorite: Autorite,
    *,
    juridiction: str,
    numero: str,
    declaration_id: str,
    piece_id: str,
    now: datetime,
) -> tuple[Piece, bytes]:
    """A proof of the declaration and its bytes in clear, on requisition for the procedure
    (`juridiction`, `numero`); logged."""
    row = await declarations.piece(session, declaration_id, piece_id)
    contenu = await pieces.contenu_clair(session, registre, row)
    procedure = Procedure(juridiction=juridiction, numero=numero)
    await journaliser(
        session,
        registre,
        autorite,
        procedure,
        objet="piece",
        ids=[declaration_id],
        piece_id=piece_id,
        now=now,
    )
    return row, contenu
