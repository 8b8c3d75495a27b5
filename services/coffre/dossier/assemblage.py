"""The evidence bundle of one acte (`signif-preuves/1`, see `shared.evidence.format`), from the coffre.

What goes in, and where it comes from:
- `acte/document.pdf` and `acte/annexes/*`: the blobs, streamed verified (SHA-256) from the store
  into the ZIP, never held whole in memory;
- `validation/rapport.json`: the signature validation report made at deposit;
- `horodatages/depot.tsr`, `horodatages/envoi.tsr`: the RFC 3161 tokens over the acte's SHA-256 kept
  in the `depot` and `envoi` events; `horodatages/avis-reception.tsr`: the avis de réception's token
  (over the digest of its payload); `tsa/`: the TSA certificate and root;
- `avis/`: the avis de mise à disposition record (last report from notify), the avis de réception
  JWS and the same sealed as a PDF; `certificat/` and `lettre-simple/` once the mode is fixed;
- `journal/`: every répertoire leaf naming this acte (the events' leaves, plus the access leaf of a
  judicial authority), with inclusion proofs to the first stored checkpoint covering them all and a
  consistency proof to the latest checkpoint (signed now when the log has grown since);
- `cles/jwks.json` (the seal keys) and `recit.json` (the story the coffre's rows assert).

The database work happens in one short transaction; the PDFs are sealed afterwards, at `now`. The
ZIP is written to an anonymous temporary file under `<var_dir>/tmp/` (no name on disk: it goes when
closed, or when the process dies). A blob that no longer matches its hash stops the bundle: the alarm
is raised as for the document itself (error log, `alerte_integrite` leaf and event), and the caller
gets `ErreurIntegrite` (500), never a bundle.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from anyio import to_thread
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.ext.asyncio import AsyncSession

from services.coffre.actes import repository
from services.coffre.actes.integrite import alarme_integrite
from services.coffre.contexte import Coffre
from services.coffre.dossier import repository as lots
from services.coffre.journal import repository as horodatages
from services.coffre.journal.repertoire import instant
from services.coffre.models import (
    OUVERTURES,
    Acte,
    ActeAnnexe,
    ActeEvenement,
    DocumentEmis,
    LettreSimpleEnvoi,
    RepertoireHorodatage,
)
from services.coffre.reception import documents, emission
from shared import ouvertures
from shared.blobs.base import BlobRef
from shared.crypto.jws import jwks
from shared.errors import ErreurIntegrite
from shared.evidence import format as fmt
from shared.evidence.bundle import BundleBuilder, PieceAlteree
from shared.evidence.engagements import Ouverture, engagements_de
from shared.evidence.journal import JournalExtract, checkpoint_of, extract_journal
from shared.evidence.pades import RACINES_ACTES, SCEAU
from shared.territoire import territoire_de
from shared.timestamps.configuration import chaine_tsa


@dataclass(frozen=True)
class Procedure:
    """The judicial procedure an authority's access is bound to (logged hashed, as in searches)."""

    juridiction: str
    numero: str

    def empreinte(self) -> str:
        return hashlib.sha256(f"{self.juridiction}\n{self.numero}".encode()).hexdigest()


@dataclass(frozen=True)
class Acces:
    """Who asks: an office (sees its own actes) or the judicial authority (any acte, logged)."""

    office_id: str | None = None
    juridiction: str | None = None
    procedure: Procedure | None = None


@dataclass
class _Lecture:
    acte: Acte
    annexes: Sequence[ActeAnnexe]
    evenements: Sequence[ActeEvenement]
    journal: JournalExtract
    ouvertures: list[tuple[int, Ouverture]]
    envois: Sequence[LettreSimpleEnvoi]
    documents: Sequence[DocumentEmis]


async def _journal(
    session: AsyncSession, coffre: Coffre, acte_id: str, indexes: set[int], now: datetime
) -> tuple[JournalExtract, list[tuple[int, Ouverture]]]:
    """The acte's leaves with their proofs, and the openings of the commitments they carry (the
    leaves read in one query, the openings in one)."""
    repertoire = coffre.repertoire
    engagements: dict[int, set[str]] = {}
    for leaf in await repertoire.log.leaves_at(session, indexes):
        contenu = json.loads(leaf.data)
        if contenu.get("acte_id") == acte_id:
            engagements[leaf.index] = set(engagements_de(contenu))
    feuilles = list(engagements)
    par_engagement: dict[str, list[Ouverture]] = defaultdict(list)
    for ouverture in await ouvertures.lire(session, OUVERTURES, set().union(*engagements.values())):
        par_engagement[ouverture.engagement].append(ouverture)
    ouverts = [
        (index, o)
        for index, les_siens in engagements.items()
        for e in sorted(les_siens)
        for o in par_engagement.get(e, ())
    ]
    taille = await repertoire.log.size(session)
    stored = await repertoire.log.latest_checkpoint(session)
    if stored is None or stored.size != taille:
        dernier = await repertoire.signer_checkpoint(session, now=now)
    else:
        dernier = stored.note
    checkpoints = repertoire.log.tables.checkpoints
    checkpoint = await lots.checkpoint_couvrant(session, checkpoints, max(feuilles)) or dernier
    extrait = await extract_journal(
        session,
        repertoire.log,
        indexes=feuilles,
        checkpoint=checkpoint,
        latest=dernier,
        cle=repertoire.signer.verifier.vkey,
    )
    return extrait, ouverts


async def _lire(coffre: Coffre, acte_id: str, acces: Acces, now: datetime) -> _Lecture | None:
    async with coffre.db.transaction() as session:
        acte = await lots.acte_visible(session, acte_id, office_id=acces.office_id)
        if acte is None:
            return None
        indexes: set[int] = set()
        if acces.procedure is not None:
            indexes.add(
                await coffre.repertoire.ajouter(
                    session,
                    {
                        "type": "acces_preuves_autorite",
                        "acte_id": acte.id,
                        "procedure_sha256": acces.procedure.empreinte(),
                        "juridiction": acces.juridiction,
                        "instant": instant(now),
                    },
                    now=now,
                )
            )
        evenements = await repository.evenements(session, acte.id)
        annexes = await repository.annexes(session, acte.id)
        envois = await repository.envois_lettre_simple(session, acte.id)
        emis = await emission.versions(session, acte.id)
        indexes.update(e.journal_index for e in evenements if e.journal_index is not None)
        indexes.update(e.journal_index for e in envois)
        journal, ouverts = await _journal(session, coffre, acte.id, indexes, now)
    return _Lecture(acte, annexes, evenements, journal, ouverts, envois, emis)


def _jeton(evenement: ActeEvenement) -> bytes | None:
    horodatage = evenement.donnees.get("horodatage")
    if isinstance(horodatage, dict) and isinstance(horodatage.get("jeton"), str):
        return base64.b64decode(horodatage["jeton"])
    return None


def _avis_mise_a_disposition(acte: Acte, evenements: Sequence[ActeEvenement]) -> dict[str, Any] | None:
    avis = [e for e in evenements if e.type == "avis_mise_a_disposition"]
    if not avis:
        return None
    envoyes = [e for e in avis if e.donnees.get("statut") == "envoye"]
    dernier = (envoyes or avis)[-1]
    return {
        "acte_id": acte.id,
        "statut": dernier.donnees.get("statut"),
        "canal": dernier.donnees.get("canal"),
        "envoye_le": dernier.donnees.get("envoye_le"),
        "enregistre_le": instant(dernier.instant),
        "journal_index": dernier.journal_index,
    }


def _envoi(envoi: LettreSimpleEnvoi, tous: Sequence[LettreSimpleEnvoi]) -> dict[str, Any]:
    """One recorded posting as `lettre-simple.json` lists it (`corrige`: the leaf it corrects)."""
    corrige = next((e.journal_index for e in tous if e.id == envoi.corrige_id), None)
    return {
        "envoyee_le": envoi.envoyee_le.isoformat(),
        "enregistre_le": instant(envoi.enregistre_le),
        "journal_index": envoi.journal_index,
        "corrige": corrige,
        "motif": envoi.motif,
        "en_vigueur": envoi is tous[-1],
    }


def _confiance(builder: BundleBuilder, coffre: Coffre, *, scelles: bool) -> None:
    """What the PDF signatures are checked against, offline: the roots the coffre trusts for the
    commissaires' signatures, and (when the bundle holds sealed PDFs) the platform's seal certificate
    followed by its chain up to its root."""
    racines = b"".join(chemin.read_bytes() for chemin in coffre.trust_roots if chemin.exists())
    if racines:
        builder.add_file(RACINES_ACTES, racines)
    if scelles:
        signer = documents.sceau_pdf(coffre).signer
        chaine = [signer.signing_cert, *(c for c in signer.cert_registry if c != signer.signing_cert)]
        builder.add_file(SCEAU, b"".join(_pem(c.dump()) for c in chaine))


def _pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)


#: Where the current version of each document also goes (the paths bundles have always used).
_CHEMINS_COURANTS = {"avis_reception": fmt.AVIS_RECEPTION_PDF, "certificat": fmt.CERTIFICAT}


def _documents(builder: BundleBuilder, coffre: Coffre, emis: Sequence[DocumentEmis]) -> None:
    """Every issued version as stored (`documents/<nom>-v<n>.pdf`), the current one also at its usual
    path, and `documents/index.json` naming each version's leaf and marking the current one."""
    derniere = {e.type: e.version for e in emis}
    index = []
    for e in emis:
        chemin = f"{fmt.DOCUMENTS}{emission.NOMS[e.type]}-v{e.version}.pdf"
        builder.add_blob(chemin, coffre.blobs, BlobRef(e.sha256, e.taille))
        courant = derniere[e.type] == e.version
        if courant and e.type in _CHEMINS_COURANTS:
            builder.add_blob(_CHEMINS_COURANTS[e.type], coffre.blobs, BlobRef(e.sha256, e.taille))
        index.append(
            {
                "type": e.type,
                "version": e.version,
                "chemin": chemin,
                "sha256": e.sha256,
                "emis_le": instant(e.emis_le),
                "journal_index": e.journal_index,
                "en_vigueur": courant,
            }
        )
    if index:
        builder.add_json(fmt.DOCUMENTS_INDEX, index)


def recit(acte: Acte) -> fmt.Recit:
    lettre = None
    if acte.lettre_simple_due_le is not None:
        lettre = fmt.LettreSimple(due_le=acte.lettre_simple_due_le, envoyee_le=acte.lettre_simple_envoyee_le)
    return fmt.Recit(
        acte_id=acte.id,
        sha256=acte.sha256,
        depose_le=acte.depose_le,
        envoye_le=acte.envoye_le,
        pris_connaissance_le=acte.pris_connaissance_le,
        mode=acte.mode,
        fuseau=acte.fuseau,
        subdivision_feries=territoire_de(acte.commune_insee).subdivision_feries,
        lettre_simple=lettre,
        declaration_id=acte.declaration_id,
    )


async def _remplir(coffre: Coffre, lecture: _Lecture, now: datetime) -> BundleBuilder:
    acte = lecture.acte
    builder = BundleBuilder.acte(acte.id, genere_le=now)
    builder.add_acte_blob(coffre.blobs, BlobRef(acte.sha256, acte.taille))
    for annexe in sorted(lecture.annexes, key=lambda a: a.position):
        builder.add_annexe_blob(annexe.nom, coffre.blobs, BlobRef(annexe.sha256, annexe.taille))
    builder.add_validation_report(acte.rapport_validation)
    jetons = 0
    for evenement in lecture.evenements:
        jeton = _jeton(evenement) if evenement.type in ("depot", "envoi") else None
        if jeton is not None:
            builder.add_timestamp(evenement.type, jeton, objet=fmt.ACTE)
            jetons += 1
    avis_mad = _avis_mise_a_disposition(acte, lecture.evenements)
    if avis_mad is not None:
        builder.add_avis_mise_a_disposition(avis_mad)
    if acte.avis_reception_jws is not None:
        avis = documents.avis_de(acte.avis_reception_jws)
        builder.add_avis_reception(avis.jws)
        horodatage = avis.contenu["horodatage"]
        builder.add_timestamp(
            "avis-reception",
            base64.b64decode(horodatage["jeton"]),
            sha256=bytes.fromhex(horodatage["empreinte"]),
        )
        jetons += 1
    _documents(builder, coffre, lecture.documents)
    _confiance(builder, coffre, scelles=bool(lecture.documents))
    if acte.mode is not None and acte.lettre_simple_due_le is not None:
        builder.add_lettre_simple(
            {
                "acte_id": acte.id,
                "due_le": acte.lettre_simple_due_le.isoformat(),
                "envoyee_le": (
                    acte.lettre_simple_envoyee_le.isoformat() if acte.lettre_simple_envoyee_le else None
                ),
                "envois": [_envoi(e, lecture.envois) for e in lecture.envois],
            }
        )
    if jetons:
        builder.set_tsa_chain(*chaine_tsa(coffre.horodatage, coffre.settings.keys_dir))
    builder.set_jwks(jwks([coffre.sceau.private_key.public_key(), *coffre.sceaux_retires]))
    builder.set_journal(lecture.journal)
    builder.set_ouvertures(lecture.ouvertures)
    builder.set_recit(recit(acte))
    return builder


async def _ancrer(coffre: Coffre, note: str, now: datetime) -> bytes:
    """An RFC 3161 token over the SHA-256 of the checkpoint the bundle's proofs lead to, made now
    (or the one already made for that very note), kept in `repertoire_horodatages`: a third party
    dates the log's state, after every event the checkpoint covers."""
    async with coffre.db.read() as session:
        deja = await horodatages.jeton_du_checkpoint(session, note)
    if deja is not None:
        return deja
    jeton = await coffre.horodatage.timestamp(hashlib.sha256(note.encode("utf-8")).digest())
    async with coffre.db.transaction() as session:
        horodatages.ajouter_horodatage(
            session,
            RepertoireHorodatage(
                taille=checkpoint_of(note).size, checkpoint=note, jeton=jeton.response, cree_le=now
            ),
        )
    return jeton.response


def repertoire_temporaire(coffre: Coffre) -> Path:
    """Where bundles are written while they are served (`<var_dir>/tmp`)."""
    return coffre.settings.var_dir / "tmp"


def _fichier_temporaire(repertoire: Path) -> IO[bytes]:
    repertoire.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryFile(dir=repertoire, prefix="preuves-")


async def assembler(coffre: Coffre, acte_id: str, acces: Acces) -> IO[bytes] | None:
    """The acte's bundle as a ZIP in an anonymous temporary file (at its start; the caller closes it),
    or None when `acces` may not see the acte. `ErreurIntegrite` (after the alarm) if a stored piece
    no longer matches its hash."""
    async with coffre.db.read() as session:
        visible = await lots.acte_visible(session, acte_id, office_id=acces.office_id)
    if visible is None:
        return None
    for type_ in emission.applicables(visible):  # issued now if their facts changed since
        await emission.emettre(coffre, visible, type_)
    now = coffre.clock.now()
    lecture = await _lire(coffre, acte_id, acces, now)
    if lecture is None:
        return None
    ancrage = await _ancrer(coffre, lecture.journal.latest, now)
    builder = await _remplir(coffre, lecture, now)
    builder.add_timestamp("checkpoint", ancrage, objet=fmt.CHECKPOINT_DERNIER)
    fichier = await to_thread.run_sync(_fichier_temporaire, repertoire_temporaire(coffre))
    try:
        await builder.write_to(fichier)
        await to_thread.run_sync(fichier.seek, 0)
    except PieceAlteree as exc:
        fichier.close()
        await alarme_integrite(coffre, lecture.acte.id, exc.ref.sha256, lors="preuves", piece=exc.chemin)
        raise ErreurIntegrite(
            "Une pièce stockée de l'acte ne correspond plus à son empreinte ; incident journalisé."
        ) from exc
    except BaseException:
        fichier.close()
        raise
    return fichier
