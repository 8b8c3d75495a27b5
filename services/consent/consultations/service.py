"""Consultations (commissaire) and verifications (coffre): match, evaluate, log, answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.consultations.evaluation import ABSENT, Verdict, choisir, evaluer
from services.consent.consultations.schemas import IdentiteMorale, IdentitePhysique
from services.consent.identite import forme_morale, forme_physique
from services.consent.journal.service import consigner
from services.consent.models import Consultation, Declaration, Version
from services.consent.registre import Registre
from shared.crypto.tokens import blind_index


def forme(identite: IdentitePhysique | IdentiteMorale) -> str:
    if isinstance(identite, IdentitePhysique):
        return forme_physique(identite.nom, identite.prenoms, identite.date_naissance)
    return forme_morale(identite.siren)


async def _verdicts(
    session: AsyncSession, declarations: Sequence[Declaration], nature: str, a: datetime
) -> list[Verdict]:
    if not declarations:
        return []
    ids = [d.id for d in declarations]
    rows = (
        (
            await session.execute(
                select(Version).where(Version.declaration_id.in_(ids)).order_by(Version.numero)
            )
        )
        .scalars()
        .all()
    )
    par_declaration: dict[str, list[Version]] = {}
    for version in rows:
        par_declaration.setdefault(version.declaration_id, []).append(version)
    return [evaluer(d, par_declaration[d.id], nature, a) for d in declarations if d.id in par_declaration]


async def par_identite(
    session: AsyncSession,
    registre: Registre,
    identite: IdentitePhysique | IdentiteMorale,
    nature: str,
    a: datetime,
) -> Verdict:
    index = registre.indexeur.identite(forme(identite))
    declarations = (
        (await session.execute(select(Declaration).where(Declaration.identite_index == index)))
        .scalars()
        .all()
    )
    return choisir(await _verdicts(session, declarations, nature, a))


async def par_declaration(session: AsyncSession, declaration_id: str, nature: str, a: datetime) -> Verdict:
    declaration = await session.get(Declaration, declaration_id)
    if declaration is None:
        return ABSENT
    return choisir(await _verdicts(session, [declaration], nature, a))


async def journaliser(
    session: AsyncSession,
    registre: Registre,
    verdict: Verdict,
    *,
    now: datetime,
    a: datetime,
    origine: str,
    demandeur: str,
    office_id: str | None,
    reference_dossier: str | None,
    nature: str,
) -> None:
    """One access-log row and one log leaf (the file reference only as a keyed hash)."""
    declaration_id = verdict.declaration.id if verdict.declaration else None
    reference = (
        blind_index(registre.settings.effective_blind_index_key, reference_dossier, "consent/reference")
        if reference_dossier
        else None
    )
    ligne = Consultation(
        faite_le=now,
        a=a,
        origine=origine,
        office_id=office_id,
        demandeur=demandeur,
        reference_dossier=reference_dossier,
        nature=nature,
        consentement=verdict.consentement,
        motif=verdict.motif,
        declaration_id=declaration_id,
    )
    session.add(ligne)
    await consigner(
        session,
        registre,
        "consultation" if origine == "commissaire" else "verification",
        now=now,
        ligne=ligne,
        a=a.isoformat(),
        office_id=office_id,
        reference=reference,
        nature=nature,
        consentement=verdict.consentement,
        motif=verdict.motif,
        declaration_id=declaration_id,
    )
