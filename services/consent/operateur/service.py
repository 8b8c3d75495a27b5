"""The operator's rules: read a declaration or a proof (logged), decide, end sessions, review
rectifications. Each reads and writes through the caller's session; nothing here commits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import chiffrement
from services.consent.comptes import sessions
from services.consent.declarations import avis, pieces, rectification, repository
from services.consent.declarations.schemas import DeclarationLue
from services.consent.declarations.service import evenement
from services.consent.declarations.vue import vue
from services.consent.errors import EtatIncompatible
from services.consent.models import Declaration, Piece, Version
from services.consent.registre import Registre
from shared.crypto.aead import encrypt
from shared.legal_time import date_destruction


async def lire(
    session: AsyncSession, registre: Registre, declaration_id: str, *, acteur: str, now: datetime
) -> DeclarationLue:
    """The full view of a declaration; the read is logged in the operator's name."""
    declaration = await repository.charger(session, declaration_id)
    await evenement(session, registre, declaration.id, "operateur.lecture", now=now, acteur=acteur)
    return await vue(session, registre, declaration, now)


async def lire_piece(
    session: AsyncSession,
    registre: Registre,
    declaration_id: str,
    piece_id: str,
    *,
    acteur: str,
    now: datetime,
) -> tuple[Piece, bytes]:
    """A proof of the declaration and its bytes in clear; the read is logged in the operator's name."""
    row = await repository.piece(session, declaration_id, piece_id)
    contenu = await pieces.contenu_clair(session, registre, row)
    await evenement(
        session, registre, declaration_id, "operateur.piece", now=now, acteur=acteur, piece_id=piece_id
    )
    return row, contenu


async def decider(
    session: AsyncSession,
    registre: Registre,
    declaration_id: str,
    decision: Literal["acceptee", "rejetee"],
    motif: str,
    *,
    acteur: str,
    now: datetime,
) -> Declaration:
    """Accept (active from now, for its natures and period) or reject a declaration under review;
    the motif is kept encrypted, the declarant told, the decision logged."""
    declaration = await repository.charger(session, declaration_id, verrou=True)
    if declaration.statut != "en_attente_verification":
        raise EtatIncompatible("Seule une déclaration en attente de vérification peut être décidée.")
    version = await repository.version_courante(session, declaration)
    dek = await chiffrement.cle_de(session, registre.keys, declaration.id)
    declaration.decision = decision
    declaration.decidee_le = now
    declaration.motif_chiffre = encrypt(
        dek, motif.encode(), context=chiffrement.contexte(declaration.id, "motif")
    )
    if decision == "acceptee":
        declaration.statut = "active"
        declaration.destruction_le = date_destruction(version.fin) if version.fin else None
        await avis.planifier_fin(session, declaration, version, now=now)
    else:
        declaration.statut = "rejetee"
        declaration.destruction_le = date_destruction(repository.jour_local(now, version.fuseau))
    await avis.planifier(session, declaration, decision, now=now)
    await evenement(session, registre, declaration.id, f"declaration.{decision}", now=now, acteur=acteur)
    return declaration


async def terminer_sessions(
    session: AsyncSession, registre: Registre, declaration_id: str, *, acteur: str, now: datetime
) -> int:
    """End at once every session on this declaration (its token's and its declarant's); logged.
    Returns how many ended."""
    declaration = await repository.charger(session, declaration_id, verrou=True)
    nombre = await sessions.terminer_sur(session, declaration, now=now, motif="operateur")
    await evenement(
        session, registre, declaration.id, "sessions.terminees", now=now, acteur=acteur, nombre=nombre
    )
    return nombre


async def decider_rectification(
    session: AsyncSession,
    registre: Registre,
    declaration_id: str,
    numero: int,
    decision: Literal["acceptee", "rejetee"],
    motif: str,
    *,
    acteur: str,
    now: datetime,
) -> tuple[Declaration, Version]:
    """Accept or reject the rectification `numero` (`declarations.rectification.decider`)."""
    declaration = await repository.charger(session, declaration_id, verrou=True)
    decidee = await rectification.decider(
        session, registre, declaration, numero, decision, motif, now=now, acteur=acteur
    )
    return declaration, decidee
