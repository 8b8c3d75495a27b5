"""Consultations (commissaire) and verifications (coffre): match, evaluate, log, answer.

The hot path of the registry (`POST /consultations`, bench/consultations): the statements are
precompiled Core statements of `repository.py`: one joined query reads the rule's facts of every
declaration of the identity (`FaitsDeclaration`, `FaitsVersion`, never the encrypted data), one insert
writes the access-log row, one insert queues its log leaf (`shared.translog.store`), whose index the
integration writes back into the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.consultations import repository
from services.consent.consultations.evaluation import (
    FaitsDeclaration,
    FaitsVersion,
    Verdict,
    choisir,
    evaluer,
)
from services.consent.consultations.schemas import IdentiteMorale, IdentitePhysique
from services.consent.identite import forme_morale, forme_physique
from services.consent.journal.service import feuille
from services.consent.models import OUVERTURES
from services.consent.registre import Registre
from shared import ouvertures
from shared.crypto.tokens import blind_index
from shared.evidence.engagements import Ouverture
from shared.translog.store import IndexRef


@dataclass(frozen=True)
class Demande:
    """One consultation to evaluate and log (a commissaire's, `lots.py`): `cle` is the identity's
    blind index, `now` the legal instant of the request, `a` the instant asked about."""

    cle: str
    nature: str
    a: datetime
    now: datetime
    origine: str
    demandeur: str
    office_id: str | None
    reference_dossier: str | None


def forme(identite: IdentitePhysique | IdentiteMorale) -> str:
    if isinstance(identite, IdentitePhysique):
        return forme_physique(identite.nom, identite.prenoms, identite.date_naissance)
    return forme_morale(identite.siren)


def _verdicts(rows: repository.Faits, nature: str, a: datetime) -> list[Verdict]:
    """Group the joined rows by declaration (they come ordered by declaration, then version)."""
    groupes: dict[str, tuple[FaitsDeclaration, list[FaitsVersion]]] = {}
    for r in rows:
        if r.id not in groupes:
            declaration = FaitsDeclaration(r.id, r.decision, r.decidee_le, r.revoquee_le, r.declaree_le)
            groupes[r.id] = (declaration, [])
        groupes[r.id][1].append(FaitsVersion(r.numero, r.creee_le, r.natures, r.debut, r.fin, r.fuseau))
    return [evaluer(declaration, versions, nature, a) for declaration, versions in groupes.values()]


async def par_identite(
    session: AsyncSession,
    registre: Registre,
    identite: IdentitePhysique | IdentiteMorale,
    nature: str,
    a: datetime,
) -> Verdict:
    index = registre.indexeur.identite(forme(identite))
    return choisir(_verdicts(await repository.faits_par_identite(session, index), nature, a))


async def par_identites(session: AsyncSession, demandes: Sequence[Demande]) -> list[Verdict]:
    """The verdict of each consultation of a batch, from one query over all their identities."""
    rows = await repository.faits_par_identites(session, sorted({d.cle for d in demandes}))
    par_cle: dict[str, list[Row[*tuple[Any, ...]]]] = {}
    for r in rows:
        par_cle.setdefault(r.identite_index, []).append(r)
    return [choisir(_verdicts(par_cle.get(d.cle, ()), d.nature, d.a)) for d in demandes]


async def par_declaration(session: AsyncSession, declaration_id: str, nature: str, a: datetime) -> Verdict:
    rows = await repository.faits_par_declaration(session, declaration_id)
    return choisir(_verdicts(rows, nature, a))


def _ligne(
    verdict: Verdict,
    *,
    now: datetime,
    a: datetime,
    origine: str,
    demandeur: str,
    office_id: str | None,
    reference_dossier: str | None,
    nature: str,
) -> dict[str, Any]:
    return {
        "faite_le": now,
        "a": a,
        "origine": origine,
        "office_id": office_id,
        "demandeur": demandeur,
        "reference_dossier": reference_dossier,
        "nature": nature,
        "consentement": verdict.consentement,
        "motif": verdict.motif,
        "declaration_id": verdict.declaration.id if verdict.declaration else None,
    }


def _feuille(registre: Registre, ligne: dict[str, Any]) -> tuple[bytes, list[Ouverture]]:
    """The access-log row's leaf: the file reference only as a keyed hash, no personal data."""
    reference_dossier = ligne["reference_dossier"]
    reference = (
        blind_index(registre.settings.effective_blind_index_key, reference_dossier, "consent/reference")
        if reference_dossier
        else None
    )
    champs = {
        "a": ligne["a"].isoformat(),
        "office_id": ligne["office_id"],
        "reference": reference,
        "nature": ligne["nature"],
        "consentement": ligne["consentement"],
        "motif": ligne["motif"],
        "declaration_id": ligne["declaration_id"],
    }
    type_ = "consultation" if ligne["origine"] == "commissaire" else "verification"
    return feuille(type_, ligne["faite_le"], champs)


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
    """One access-log row and its queued log leaf (the file reference only as a keyed hash), in the
    caller's transaction; the leaf's index is written into the row when the leaf is integrated."""
    ligne = _ligne(
        verdict,
        now=now,
        a=a,
        origine=origine,
        demandeur=demandeur,
        office_id=office_id,
        reference_dossier=reference_dossier,
        nature=nature,
    )
    identifiant = await repository.inserer(session, ligne)
    donnees, ouverts = _feuille(registre, ligne)
    await ouvertures.retenir(session, OUVERTURES, ouverts)
    await registre.journal.enqueue(
        session, donnees, now=now, refs=[IndexRef(repository.LEAF_INDEX, identifiant)]
    )


async def journaliser_lot(
    session: AsyncSession, registre: Registre, demandes: Sequence[Demande], verdicts: Sequence[Verdict]
) -> None:
    """`journaliser` for a batch (`lots.py`), in the caller's transaction: the access-log rows are
    inserted in one statement, then their leaves queued in one statement (`enqueue_many`, without
    waiting for the integration: the leaves are durable in the queue once the batch commits, the
    answers leave then, and this process's integration loop gives them their indexes in the rows).
    The batch never takes the log's head row: a purge or another process integrating a thousand
    leaves does not hold the consultations up."""
    lignes = [
        _ligne(
            verdict,
            now=d.now,
            a=d.a,
            origine=d.origine,
            demandeur=d.demandeur,
            office_id=d.office_id,
            reference_dossier=d.reference_dossier,
            nature=d.nature,
        )
        for d, verdict in zip(demandes, verdicts, strict=True)
    ]
    ecrites = [_feuille(registre, ligne) for ligne in lignes]
    feuilles = [donnees for donnees, _ in ecrites]
    await ouvertures.retenir(session, OUVERTURES, [o for _, ouverts in ecrites for o in ouverts])
    ids = await repository.inserer_lot(session, lignes)
    # The leaves' created_at: the batch's latest request instant (each leaf also carries its own).
    await registre.journal.enqueue_many(
        session,
        feuilles,
        now=max(d.now for d in demandes),
        refs=[[IndexRef(repository.LEAF_INDEX, i)] for i in ids],
        wait=False,
    )
