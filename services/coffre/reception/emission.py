"""Sealed documents issued once: the avis de réception PDF, the certificat and the lettre simple.

A document is a pure function of its facts (`services.coffre.preuves`) and of its issue instant. It is
issued once per state of its facts: `emettre` computes the SHA-256 of the facts (canonical JSON);
when the latest version states the same facts it is returned as it is, byte for byte; otherwise the
document is rendered and sealed now, stored as a blob, and recorded as the next version with a
`document` leaf (its bytes' SHA-256, its facts' SHA-256) and a `document_emis` event. A new fact (the
lettre simple posted or corrected, a later avis report) thus issues a new version; earlier ones stay
retrievable (`versions`, `octets`) and all go into the evidence bundle.

Sequence (no transaction is open while the PDF is rendered, sealed and timestamped, RFC 3161): the
facts are read in one short transaction; the document is rendered; its blob is announced
(`DepotEnCours`) in a second, stored, then recorded in a third with its leaf and event.

Two requests issuing the same new version race on the unique (acte, type, version): the loser's
transaction fails, it reads the winner's row and serves it (its own blob is left to the orphan
cleanup).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.actes import repository as actes
from services.coffre.contexte import Coffre
from services.coffre.depot import repository as depot
from services.coffre.journal.repertoire import instant
from services.coffre.models import Acte, DepotEnCours, DocumentEmis
from services.coffre.preuves import avis_reception_pdf, certificat_pdf, lettre_simple_pdf
from services.coffre.reception import documents, repository

TypeDocument = Literal["avis_reception", "certificat", "lettre_simple"]
TYPES: tuple[TypeDocument, ...] = ("avis_reception", "certificat", "lettre_simple")
#: File names, in the bundle (`documents/<nom>-v<n>.pdf`) and in downloads.
NOMS: dict[str, str] = {
    "avis_reception": "avis-de-reception",
    "certificat": "certificat",
    "lettre_simple": "lettre-simple",
}


def applicables(acte: Acte) -> list[TypeDocument]:
    """The documents an acte has, once their facts exist."""
    types: list[TypeDocument] = []
    if acte.avis_reception_jws is not None and acte.pris_connaissance_le is not None:
        types.append("avis_reception")
    if acte.mode is not None:
        types.append("certificat")
    if acte.mode == "a_domicile" and acte.lettre_simple_due_le is not None:
        types.append("lettre_simple")
    return types


def _empreinte(valeur: object) -> str:
    def defaut(o: object) -> object:
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        return str(o)

    canonique = json.dumps(valeur, default=defaut, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonique.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Faits:
    empreinte: str
    valeur: Any


async def _faits(session: AsyncSession, coffre: Coffre, acte: Acte, type_: TypeDocument) -> _Faits:
    if type_ == "avis_reception":
        if acte.avis_reception_jws is None:
            raise ValueError("no avis de réception yet")
        avis = documents.avis_de(acte.avis_reception_jws)
        numero = documents.numero_consentement(await actes.evenements(session, acte.id))
        # An acte sent before the registry returned the number keeps its facts (and its issued PDF).
        faits_avis = {"jws": avis.jws} | ({"numero": numero} if numero is not None else {})
        return _Faits(_empreinte(faits_avis), (avis, numero))
    if type_ == "certificat":
        evenements = await actes.evenements(session, acte.id)
        envois = await actes.envois_lettre_simple(session, acte.id)
        certificat = documents.certificat(acte, evenements, envois)
        faits = dataclasses.asdict(certificat)
        consentement = faits["formalites"]["consentement"]
        if consentement is not None and consentement["numero"] is None:
            # An acte sent before the registry returned the number: its facts, and so its issued
            # certificat, stay what they were.
            del consentement["numero"]
        return _Faits(_empreinte(faits), certificat)
    lettre = documents.lettre(
        acte,
        acces_url=f"{coffre.settings.public_url.rstrip('/')}/coffre/retrait",
        lieu=acte.office_nom,
    )
    return _Faits(_empreinte(dataclasses.asdict(lettre)), lettre)


async def _rendre(coffre: Coffre, type_: TypeDocument, faits: Any, now: datetime) -> bytes:
    sceau = documents.sceau_pdf(coffre)
    if type_ == "avis_reception":
        avis, numero = faits
        return await avis_reception_pdf(avis, numero=numero, sceau=sceau, emis_le=now)
    if type_ == "certificat":
        return await certificat_pdf(faits, sceau=sceau, emis_le=now)
    return await lettre_simple_pdf(faits, sceau=sceau, emis_le=now)


#: Every issued version of an acte's documents (of one type), oldest first.
versions = repository.versions


async def emettre(coffre: Coffre, acte: Acte, type_: TypeDocument) -> DocumentEmis:
    """The current version of the document: the latest one if its facts are unchanged, else a new one."""
    async with coffre.db.transaction() as session:
        faits = await _faits(session, coffre, acte, type_)
        derniere = await repository.derniere_version(session, acte.id, type_)
    if derniere is not None and derniere.faits_sha256 == faits.empreinte:
        return derniere
    now = coffre.clock.now()
    pdf = await _rendre(coffre, type_, faits.valeur, now)
    en_cours = DepotEnCours(id=str(uuid.uuid4()), sha256=hashlib.sha256(pdf).hexdigest(), cree_le=now)
    async with coffre.db.transaction() as session:  # the orphan cleanup spares the blob until commit
        depot.annoncer_blob(session, en_cours)
    ref = await coffre.blobs.put_bytes(pdf)
    version = (derniere.version if derniere is not None else 0) + 1
    try:
        async with coffre.db.transaction() as session:
            await depot.retirer_annonces(session, [en_cours.id])
            index = await coffre.repertoire.ajouter(
                session,
                {
                    "type": "document",
                    "acte_id": acte.id,
                    "document": type_,
                    "version": version,
                    "sha256": ref.sha256,
                    "faits_sha256": faits.empreinte,
                    "instant": instant(now),
                },
                now=now,
            )
            emis = DocumentEmis(
                acte_id=acte.id,
                type=type_,
                version=version,
                sha256=ref.sha256,
                taille=ref.size,
                faits_sha256=faits.empreinte,
                emis_le=now,
                journal_index=index,
            )
            repository.ajouter_document(session, emis)
            repository.ajouter_evenement(
                session,
                acte.id,
                "document_emis",
                now=now,
                journal_index=index,
                donnees={"document": type_, "version": version, "sha256": ref.sha256},
            )
    except IntegrityError:
        async with coffre.db.transaction() as session:
            gagnant = await repository.derniere_version(session, acte.id, type_)
        if gagnant is None:  # pragma: no cover - the conflict was on this very row
            raise
        return gagnant
    return emis
