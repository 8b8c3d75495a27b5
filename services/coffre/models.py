"""SQLAlchemy models of the coffre service (its own database).

- `actes`: one row per deposited acte; the blob it names (SHA-256) is immutable, the row only moves
  through its statuses (`programme` → `envoye` | `annule`, later `pris_connaissance`).
- `actes_annexes`: the annexes deposited with an acte, inseparably linked to it (one blob each).
  The columns `pris_connaissance_le`, `avis_reception_jws`, `mode`, `mode_fixe_le` and
  `lettre_simple_*` are written once by `services/coffre/reception` (conditional UPDATEs).
- `actes_evenements`: what happened to an acte, in order, each with its répertoire leaf index.
- `lettres_simples_envois`: each recorded posting of the lettre simple, append-only; a correction is
  a new row naming the one it corrects and its reason (`actes.lettre_simple_envoyee_le` mirrors the
  current one).
- `documents_emis`: the sealed PDFs issued for an acte (avis de réception, certificat, lettre simple),
  each version once, its bytes a blob, its SHA-256 in a `document` leaf; a new fact issues a new
  version, earlier ones stay.
- `idempotence`: per office and `Idempotency-Key`, the request fingerprint and the first response.
- `liens_retrait`: retrieval link tokens (SHA-256 of the token only), bound to an acte and declaration.
- `depots_en_cours`: blobs written by a deposit whose acte row is not committed yet; the orphan
  cleanup job spares them for a grace period.
- `repertoire_horodatages`: RFC 3161 tokens over signed checkpoints of the répertoire.
- `journal_*`: the répertoire itself (`shared.translog.store`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.jobs import define_job_tables
from shared.models import UtcDateTime, service_metadata
from shared.ouvertures import define_ouvertures_table
from shared.translog.store import define_translog_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


JOB_TABLES = define_job_tables(Base.metadata)
JOURNAL_TABLES = define_translog_tables(Base.metadata, prefix="journal")
#: The openings of the répertoire's commitments (`shared.evidence.engagements`).
OUVERTURES = define_ouvertures_table(Base.metadata, "repertoire_ouvertures")


#: The statuses of an acte that was sent: its links open, it is listed and downloadable.
ENVOYES = ("envoye", "pris_connaissance")


class Acte(Base):
    __tablename__ = "actes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office_id: Mapped[str] = mapped_column(String(100), index=True)
    office_nom: Mapped[str] = mapped_column(String(200))
    office_cour_appel: Mapped[str] = mapped_column(String(64))
    commissaire_sub: Mapped[str] = mapped_column(String(200))
    commissaire_nom: Mapped[str] = mapped_column(String(200))
    reference_dossier: Mapped[str] = mapped_column(String(200), index=True)
    nature: Mapped[str] = mapped_column(String(64))
    requerant: Mapped[dict[str, Any]] = mapped_column(JSON)
    declaration_id: Mapped[str] = mapped_column(String(100), index=True)
    commune_insee: Mapped[str] = mapped_column(String(5))
    fuseau: Mapped[str] = mapped_column(String(64))
    statut: Mapped[str] = mapped_column(String(20), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    taille: Mapped[int] = mapped_column(BigInteger)
    depose_le: Mapped[datetime] = mapped_column(UtcDateTime())
    envoi_prevu_le: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    envoye_le: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    derogation_664: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    rapport_validation: Mapped[dict[str, Any]] = mapped_column(JSON)
    horodatage_jeton: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    horodatage_date: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    horodatage_tsa: Mapped[str | None] = mapped_column(String(300), nullable=True)
    journal_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    motif_annulation: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Prise de connaissance and mode (services/coffre/reception): set once, never changed.
    pris_connaissance_le: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    avis_reception_jws: Mapped[str | None] = mapped_column(Text, nullable=True)
    mode: Mapped[str | None] = mapped_column(String(20), nullable=True)
    mode_fixe_le: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lettre_simple_due_le: Mapped[date | None] = mapped_column(Date, nullable=True)
    lettre_simple_envoyee_le: Mapped[date | None] = mapped_column(Date, nullable=True)


class ActeAnnexe(Base):
    __tablename__ = "actes_annexes"

    acte_id: Mapped[str] = mapped_column(ForeignKey("actes.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    taille: Mapped[int] = mapped_column(BigInteger)
    nom: Mapped[str] = mapped_column(String(255))
    type_contenu: Mapped[str] = mapped_column(String(100))


class ActeEvenement(Base):
    __tablename__ = "actes_evenements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    acte_id: Mapped[str] = mapped_column(ForeignKey("actes.id"), index=True)
    type: Mapped[str] = mapped_column(String(64))
    instant: Mapped[datetime] = mapped_column(UtcDateTime())
    journal_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    donnees: Mapped[dict[str, Any]] = mapped_column(JSON)


class LettreSimpleEnvoi(Base):
    __tablename__ = "lettres_simples_envois"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    acte_id: Mapped[str] = mapped_column(ForeignKey("actes.id"), index=True)
    envoyee_le: Mapped[date] = mapped_column(Date)
    enregistre_le: Mapped[datetime] = mapped_column(UtcDateTime())
    commissaire_sub: Mapped[str] = mapped_column(String(200))
    corrige_id: Mapped[int | None] = mapped_column(
        ForeignKey("lettres_simples_envois.id"), nullable=True, unique=True
    )
    motif: Mapped[str | None] = mapped_column(Text, nullable=True)
    journal_index: Mapped[int] = mapped_column(BigInteger)


class DocumentEmis(Base):
    __tablename__ = "documents_emis"
    __table_args__ = (UniqueConstraint("acte_id", "type", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    acte_id: Mapped[str] = mapped_column(ForeignKey("actes.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    taille: Mapped[int] = mapped_column(BigInteger)
    faits_sha256: Mapped[str] = mapped_column(String(64))
    emis_le: Mapped[datetime] = mapped_column(UtcDateTime())
    journal_index: Mapped[int] = mapped_column(BigInteger)


class Idempotence(Base):
    __tablename__ = "idempotence"

    office_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    cle: Mapped[str] = mapped_column(String(200), primary_key=True)
    empreinte: Mapped[str] = mapped_column(String(64))
    acte_id: Mapped[str] = mapped_column(ForeignKey("actes.id"))
    reponse: Mapped[dict[str, Any]] = mapped_column(JSON)
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())


class LienRetrait(Base):
    __tablename__ = "liens_retrait"

    jeton_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    acte_id: Mapped[str] = mapped_column(ForeignKey("actes.id"), index=True)
    declaration_id: Mapped[str] = mapped_column(String(100))
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())
    expire_le: Mapped[datetime] = mapped_column(UtcDateTime())


class SessionRetrait(Base):
    """A destinataire's session on one retrieval link (`retrait.session`): the browser holds the
    secret, only its SHA-256 is stored. A pending sign-in names consent's challenge; a signed-in
    session names consent's session (`session_consent`, checked with consent before each use)."""

    __tablename__ = "sessions_retrait"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lien_hash: Mapped[str] = mapped_column(String(64), index=True)
    defi_id: Mapped[str | None] = mapped_column(String(36))
    sub: Mapped[str | None] = mapped_column(String(64))
    declarations: Mapped[list[str]] = mapped_column(JSON)
    session_consent: Mapped[str | None] = mapped_column(String(64))
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())
    expire_le: Mapped[datetime] = mapped_column(UtcDateTime())
    terminee_le: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DepotEnCours(Base):
    __tablename__ = "depots_en_cours"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())


class RepertoireHorodatage(Base):
    __tablename__ = "repertoire_horodatages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    taille: Mapped[int] = mapped_column(BigInteger)
    checkpoint: Mapped[str] = mapped_column(Text)
    jeton: Mapped[bytes] = mapped_column(LargeBinary)
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())
