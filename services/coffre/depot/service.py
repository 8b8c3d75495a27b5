"""`POST /coffre/v1/actes`: receive, check every gate at the instant of sending, then send or schedule.

Order: stream the body into storage → metadata → idempotency replay → gates (document, consent,
competence, hours) → RFC 3161 timestamp → one transaction (acte row, répertoire leaves, events,
outbox event or scheduled job, idempotency record). Any failure before the commit abandons the
deposit: nothing is stored, nothing is sent.

Idempotency: the fingerprint is the SHA-256 of the canonical metadata JSON and of the blob hashes,
per office and key. The first response is stored with the acte and replayed as is; another body under
the same key is a 409 `idempotence-conflit`. Two concurrent first requests race on the primary key:
the loser's transaction rolls back and it answers like a replay.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from services.coffre.actes.natures import NATURES
from services.coffre.contexte import Coffre
from services.coffre.depot import controles, repository
from services.coffre.depot.envoi import enregistrer_depot, enregistrer_envoi, programmer_envoi
from services.coffre.depot.schemas import ActeCree, Metadonnees
from services.coffre.depot.televersement import Televersement, abandonner, recevoir
from services.coffre.errors import MetadonneesInvalides, NatureInconnue
from services.coffre.journal.repertoire import canonical_json
from services.coffre.models import Acte, ActeAnnexe, Idempotence
from shared.auth import Commissaire
from shared.db import Database
from shared.errors import IdempotenceConflit, champs_invalides


def lire_metadonnees(brut: bytes) -> Metadonnees:
    try:
        meta = Metadonnees.model_validate_json(brut)
    except ValidationError as exc:
        raise MetadonneesInvalides(
            "Les métadonnées de l'acte sont invalides.", extra={"errors": champs_invalides(exc.errors())}
        ) from exc
    if meta.nature not in NATURES:
        raise NatureInconnue(
            f"Nature d'acte inconnue : « {meta.nature[:64]} ».", extra={"natures": sorted(NATURES)}
        )
    return meta


def empreinte(meta: Metadonnees, recu: Televersement) -> str:
    data = canonical_json({"metadonnees": meta.model_dump(mode="json"), "blobs": recu.blobs})
    return hashlib.sha256(data).hexdigest()


async def _rejouer(db: Database, office_id: str, cle: str, empreinte_: str) -> dict[str, Any] | None:
    async with db.transaction() as session:
        row = await repository.idempotence(session, office_id, cle)
        if row is None:
            return None
        if row.empreinte != empreinte_:
            raise IdempotenceConflit("Cette clé d'idempotence a déjà servi pour un autre dépôt.")
        return dict(row.reponse)


async def deposer(
    coffre: Coffre,
    commissaire: Commissaire,
    cle: str | None,
    *,
    corps: AsyncIterator[bytes],
    content_type: str | None,
) -> dict[str, Any]:
    recu = await recevoir(coffre, corps, content_type, now=coffre.clock.now())
    try:
        meta = lire_metadonnees(recu.metadonnees)
        fingerprint = empreinte(meta, recu)
        if cle is not None and (rejeu := await _rejouer(coffre.db, commissaire.office.id, cle, fingerprint)):
            await abandonner(coffre, recu)
            return rejeu
        try:
            return await _controler_et_envoyer(coffre, commissaire, meta, recu, cle, fingerprint)
        except IntegrityError:
            if cle is None:
                raise
            rejeu = await _rejouer(coffre.db, commissaire.office.id, cle, fingerprint)
            if rejeu is None:
                raise
            await abandonner(coffre, recu)
            return rejeu
    except BaseException:
        await abandonner(coffre, recu)
        raise


async def _controler_et_envoyer(
    coffre: Coffre,
    commissaire: Commissaire,
    meta: Metadonnees,
    recu: Televersement,
    cle: str | None,
    fingerprint: str,
) -> dict[str, Any]:
    document = recu.document
    if document is None:  # pragma: no cover - `recevoir` guarantees a document
        raise RuntimeError("deposit without a document")
    now = coffre.clock.now()
    rapport = await controles.controler_document(coffre, document.sha256, at=now, hache_a_l_ecriture=True)
    consentement = await controles.controler_consentement(
        coffre, meta.destinataire.model_dump(mode="json"), nature=meta.nature, at=now
    )
    zone = meta.zone_aeroportuaire.justification if meta.zone_aeroportuaire else None
    competence = controles.controler_competence(
        commissaire.office.cour_appel, consentement.territoire, zone_justifiee=zone
    )
    decision = controles.decision_horaire(
        now,
        consentement.territoire,
        derogation=meta.derogation_664 is not None,
        envoi_differe=meta.envoi_differe,
        office=controles.territoire_office(commissaire.office.commune_insee),
    )
    jeton = await coffre.horodatage.timestamp(bytes.fromhex(document.sha256))
    acte = Acte(
        id=str(uuid.uuid4()),
        office_id=commissaire.office.id,
        office_nom=commissaire.office.nom,
        office_cour_appel=commissaire.office.cour_appel,
        commissaire_sub=commissaire.sub,
        commissaire_nom=commissaire.nom,
        reference_dossier=meta.reference_dossier,
        nature=meta.nature,
        requerant=meta.requerant.model_dump(mode="json"),
        declaration_id=consentement.declaration_id,
        commune_insee=consentement.territoire.commune_insee,
        fuseau=consentement.territoire.fuseau,
        statut="depose",
        sha256=document.sha256,
        taille=document.size,
        depose_le=now,
        derogation_664=meta.derogation_664.model_dump(mode="json") if meta.derogation_664 else None,
        rapport_validation=rapport.model_dump(mode="json"),
    )
    annexes = [
        ActeAnnexe(
            acte_id=acte.id,
            position=i,
            sha256=a.ref.sha256,
            taille=a.ref.size,
            nom=a.nom,
            type_contenu=a.type_contenu,
        )
        for i, a in enumerate(recu.annexes)
    ]
    async with coffre.db.transaction() as session:
        index = await enregistrer_depot(session, coffre, acte, annexes, now=now, jeton=jeton)
        if decision.mode == "envoyer":
            index = await enregistrer_envoi(
                session,
                coffre,
                acte,
                now=now,
                jeton=jeton,
                consentement=consentement.portee,
                competence=competence,
            )
        else:
            await programmer_envoi(
                session,
                acte,
                now=now,
                prevu=decision.instant,
                office_commune=commissaire.office.commune_insee,
                zone_justifiee=zone,
            )
        preuve = await coffre.repertoire.preuve(session, index, now=now)
        await repository.retirer_annonces(session, recu.en_cours)
        reponse = reponse_depot(acte, rapport_signature(acte), jeton_b64(acte), preuve.as_json(), annexes)
        if cle is not None:
            repository.ajouter_idempotence(
                session,
                Idempotence(
                    office_id=commissaire.office.id,
                    cle=cle,
                    empreinte=fingerprint,
                    acte_id=acte.id,
                    reponse=reponse,
                    cree_le=now,
                ),
            )
    recu.en_cours.clear()
    return reponse


def rapport_signature(acte: Acte) -> dict[str, Any]:
    signatures = acte.rapport_validation.get("signatures") or [{}]
    derniere = signatures[-1]
    return {
        "valide": bool(derniere.get("valide")),
        "signataire": derniere.get("signataire", ""),
        "emetteur": derniere.get("emetteur", ""),
        "signe_le": derniere.get("signe_le"),
    }


def jeton_b64(acte: Acte) -> dict[str, Any] | None:
    if acte.horodatage_jeton is None or acte.horodatage_date is None:
        return None
    return {
        "jeton": base64.b64encode(acte.horodatage_jeton).decode("ascii"),
        "date": acte.horodatage_date,
        "tsa": acte.horodatage_tsa or "",
    }


def _local(value: datetime | None, fuseau: str) -> str | None:
    return None if value is None else value.astimezone(ZoneInfo(fuseau)).isoformat()


def reponse_depot(
    acte: Acte,
    signature: dict[str, Any],
    horodatage: dict[str, Any] | None,
    journal: dict[str, Any],
    annexes: list[ActeAnnexe],
) -> dict[str, Any]:
    body = ActeCree.model_validate(
        {
            "id": acte.id,
            "statut": acte.statut,
            "sha256": acte.sha256,
            "taille": acte.taille,
            "envoye_le": acte.envoye_le,
            "envoye_le_local": _local(acte.envoye_le, acte.fuseau),
            "envoi_prevu_le": acte.envoi_prevu_le,
            "envoi_prevu_le_local": _local(acte.envoi_prevu_le, acte.fuseau),
            "fuseau": acte.fuseau,
            "consentement": {"declaration_id": acte.declaration_id},
            "signature": signature,
            "horodatage": horodatage,
            "journal": journal,
            "annexes": [{"nom": a.nom, "sha256": a.sha256, "taille": a.taille} for a in annexes],
        }
    )
    return body.model_dump(mode="json")
