"""SQLAlchemy models of the consent service (its own database).

Threat model: a reader of the database (backup, dump, stolen disk) without the settings' secrets must
learn nothing about who consented. So every personal field (identity, addresses, contact details, proofs,
operator reasons) lives only in AES-256-GCM envelopes under a per-declaration data key, stored wrapped
by the master key in `consent_cles` (`shared.crypto.aead`). Identity matching uses keyed blind indexes
(`identite_index`, `email_index`), never decryption. Destroying the `consent_cles` row (the retention
purge) makes whatever copy of the other rows survives unreadable.

A declaration is never edited in place: each contact change adds a `consent_versions` row, and so
does each rectification of the identity or domicile (`declarations.rectification`). The version in
force is `Declaration.version_courante` (the one the registry answers from); a rectification's row
waits, `examen` = `en_attente_verification`, until the operator accepts it (it then comes into
force) or rejects it (it stays in the history, never in force).

`leaf_index` (events, consultations, authority searches): the registry log leaf that records the row.
The leaf is queued with the row and integrated right after the commit, which sets the column; it is
null only in between (`shared.translog.store`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.jobs import define_job_tables
from shared.models import UtcDateTime, service_metadata
from shared.ouvertures import define_ouvertures_table
from shared.translog.store import define_translog_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


JOB_TABLES = define_job_tables(Base.metadata)
JOURNAL_TABLES = define_translog_tables(Base.metadata, "journal")
#: The openings of the registry log's commitments (`shared.evidence.engagements`).
OUVERTURES = define_ouvertures_table(Base.metadata, "consent_ouvertures")

_ID = 36
_HEX = 64


class Declaration(Base):
    __tablename__ = "consent_declarations"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    numero: Mapped[str] = mapped_column(String(32), unique=True)
    type_personne: Mapped[str] = mapped_column(String(8))
    statut: Mapped[str] = mapped_column(String(32), index=True)
    identite_index: Mapped[str] = mapped_column(String(_HEX), index=True)
    personne_id: Mapped[str] = mapped_column(String(_HEX), index=True)
    email_index: Mapped[str] = mapped_column(String(_HEX), index=True)
    jeton_hash: Mapped[str] = mapped_column(String(_HEX), unique=True)
    mentions_version: Mapped[str] = mapped_column(String(32))
    mentions_sha256: Mapped[str] = mapped_column(String(_HEX))
    declaree_le: Mapped[datetime] = mapped_column(UtcDateTime())
    confirmee_le: Mapped[datetime | None] = mapped_column(UtcDateTime())
    soumise_le: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: The sealed récépissé (compact JWS) issued once at submission, served as issued afterwards.
    recepisse_jws: Mapped[str | None] = mapped_column(Text, nullable=True)
    decidee_le: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision: Mapped[str | None] = mapped_column(String(16))
    motif_chiffre: Mapped[bytes | None] = mapped_column(LargeBinary)
    revoquee_le: Mapped[datetime | None] = mapped_column(UtcDateTime())
    destruction_le: Mapped[date | None] = mapped_column(Date)
    code_hash: Mapped[str | None] = mapped_column(String(_HEX))
    code_expire_le: Mapped[datetime | None] = mapped_column(UtcDateTime())
    code_tentatives: Mapped[int] = mapped_column(Integer, default=0)
    mot_de_passe_attente: Mapped[str | None] = mapped_column(String(200))
    #: A new contact (encrypted JSON) waiting for the code sent to its e-mail address.
    contact_attente: Mapped[bytes | None] = mapped_column(LargeBinary)
    version_courante: Mapped[int] = mapped_column(Integer, default=1)

    #: The purge's "due on this day, oldest first" batches read it in order, LIMIT 1000: without the
    #: `id` the whole due set was fetched and sorted for every batch (bench/purge: ~55 ms of two cores
    #: per batch at 100,000 due). Only declarations with a destruction date are in it.
    __table_args__ = (
        Index(
            "ix_consent_declarations_destruction",
            "destruction_le",
            "id",
            postgresql_where=text("destruction_le IS NOT NULL"),
            sqlite_where=text("destruction_le IS NOT NULL"),
        ),
    )


class CleDeclaration(Base):
    """The wrapped data key of one declaration: deleting this row shreds every envelope it protects."""

    __tablename__ = "consent_cles"

    declaration_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    cle_enveloppee: Mapped[bytes] = mapped_column(LargeBinary)


class Version(Base):
    __tablename__ = "consent_versions"
    __table_args__ = (UniqueConstraint("declaration_id", "numero"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("consent_declarations.id", ondelete="CASCADE"), index=True
    )
    numero: Mapped[int] = mapped_column(Integer)
    creee_le: Mapped[datetime] = mapped_column(UtcDateTime())
    natures: Mapped[list[str]] = mapped_column(JSON)
    debut: Mapped[date] = mapped_column(Date)
    fin: Mapped[date | None] = mapped_column(Date)
    fuseau: Mapped[str] = mapped_column(String(64))
    donnees: Mapped[bytes] = mapped_column(LargeBinary)
    engagement: Mapped[str] = mapped_column(String(_HEX))
    #: Null for a version in force from its creation (the declaration, a contact change); for a
    #: rectification: `en_attente_verification`, then `acceptee` or `rejetee` (the operator's review).
    examen: Mapped[str | None] = mapped_column(String(24), nullable=True)
    soumise_le: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decidee_le: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    #: The operator's motif of a rectification's decision (envelope `.../versions/<n>/motif`).
    motif_chiffre: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class Piece(Base):
    __tablename__ = "consent_pieces"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("consent_declarations.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(48))
    media_type: Mapped[str] = mapped_column(String(32))
    taille: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(_HEX))
    contenu: Mapped[bytes] = mapped_column(LargeBinary)
    deposee_le: Mapped[datetime] = mapped_column(UtcDateTime())
    #: The rectification (version `numero`) this proof supports; null for the declaration's own proofs.
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Evenement(Base):
    """A declaration's history as the judicial authority sees it (no personal data)."""

    __tablename__ = "consent_evenements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("consent_declarations.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(48))
    survenu_le: Mapped[datetime] = mapped_column(UtcDateTime())
    acteur: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    leaf_index: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Compte(Base):
    """A destinataire account: one per person (stable `personne_id`), found by its e-mail's blind index."""

    __tablename__ = "consent_comptes"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    personne_id: Mapped[str] = mapped_column(String(_HEX), unique=True)
    email_index: Mapped[str] = mapped_column(String(_HEX), unique=True)
    mot_de_passe_hash: Mapped[str] = mapped_column(String(200))
    #: Failed attempts (wrong password, wrong code of any challenge) since the last lock or success.
    echecs: Mapped[int] = mapped_column(Integer, default=0)
    #: Locks since the owner last proved herself: the next lock lasts twice as long (`comptes.limites`).
    verrouillages: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    verrouille_jusqu_au: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())


class Defi(Base):
    """A one-time code challenge (sign-in or reset); also made, unusable, for unknown accounts."""

    __tablename__ = "consent_defis"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    compte_id: Mapped[str | None] = mapped_column(
        ForeignKey("consent_comptes.id", ondelete="CASCADE"), index=True
    )
    objet: Mapped[str] = mapped_column(String(24))
    #: The blind index of the e-mail address asked for (known account or not): challenges are
    #: rate-limited per address, alike for addresses with and without an account.
    email_index: Mapped[str | None] = mapped_column(String(_HEX), index=True)
    code_hash: Mapped[str] = mapped_column(String(_HEX))
    expire_le: Mapped[datetime] = mapped_column(UtcDateTime())
    tentatives: Mapped[int] = mapped_column(Integer, default=0)
    utilise: Mapped[bool] = mapped_column(Boolean, default=False)
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())


class SessionDestinataire(Base):
    """A destinataire's session (`comptes.sessions`): the personal space's cookie (`espace`), the
    API's bearer (`api`), or a coffre retrieval session (`coffre`, checked by the coffre at each use).

    `id` is the SHA-256 of the secret the browser or client holds (never stored). A session opened
    with a declaration's management token names that `declaration_id`; one opened by signing in names
    the person. Ended (`terminee_le`) by sign-out, password reset, revocation or an operator.
    """

    __tablename__ = "consent_sessions"

    id: Mapped[str] = mapped_column(String(_HEX), primary_key=True)
    genre: Mapped[str] = mapped_column(String(8))
    personne_id: Mapped[str | None] = mapped_column(String(_HEX), index=True)
    declaration_id: Mapped[str | None] = mapped_column(String(_ID), index=True)
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())
    expire_le: Mapped[datetime] = mapped_column(UtcDateTime())
    terminee_le: Mapped[datetime | None] = mapped_column(UtcDateTime())
    motif_fin: Mapped[str | None] = mapped_column(String(24))


class Consultation(Base):
    """One commissaire consultation or coffre verification: who, for which file, what was answered."""

    __tablename__ = "consent_consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    faite_le: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    a: Mapped[datetime] = mapped_column(UtcDateTime())
    origine: Mapped[str] = mapped_column(String(16))
    office_id: Mapped[str | None] = mapped_column(String(200))
    demandeur: Mapped[str] = mapped_column(String(200))
    reference_dossier: Mapped[str | None] = mapped_column(String(200))
    nature: Mapped[str] = mapped_column(String(64))
    consentement: Mapped[bool] = mapped_column(Boolean)
    motif: Mapped[str | None] = mapped_column(String(24))
    declaration_id: Mapped[str | None] = mapped_column(String(_ID))
    leaf_index: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RechercheAutorite(Base):
    __tablename__ = "consent_recherches_autorite"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    faite_le: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    autorite: Mapped[str] = mapped_column(String(200))
    juridiction: Mapped[str] = mapped_column(String(200))
    procedure_juridiction: Mapped[str] = mapped_column(String(200))
    procedure_numero: Mapped[str] = mapped_column(String(100))
    objet: Mapped[str] = mapped_column(String(16))
    declaration_ids: Mapped[list[str]] = mapped_column(JSON)
    piece_id: Mapped[str | None] = mapped_column(String(_ID))
    leaf_index: Mapped[int | None] = mapped_column(Integer, nullable=True)


class JournalHorodatage(Base):
    """A timestamped checkpoint of the registry log (`shared.translog.horodatages`): the signed note
    and the RFC 3161 token over its SHA-256, obtained hourly and whenever an evidence bundle is made."""

    __tablename__ = "consent_journal_horodatages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    taille: Mapped[int] = mapped_column(BigInteger, index=True)
    checkpoint: Mapped[str] = mapped_column(Text)
    jeton: Mapped[bytes] = mapped_column(LargeBinary)
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())


class Conservation(Base):
    """A judicial authority's order to keep a declaration beyond its destruction date (legal hold)
    for a procedure: the purge skips a declaration while one of these is not lifted."""

    __tablename__ = "consent_conservations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("consent_declarations.id", ondelete="CASCADE"), index=True
    )
    procedure_juridiction: Mapped[str] = mapped_column(String(200))
    procedure_numero: Mapped[str] = mapped_column(String(100))
    ordonnee_par: Mapped[str] = mapped_column(String(200))
    ordonnee_le: Mapped[datetime] = mapped_column(UtcDateTime())
    levee_par: Mapped[str | None] = mapped_column(String(200))
    levee_le: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Idempotence(Base):
    """A `POST /declarations` seen with an `Idempotency-Key`: replayed for the same key and body.

    The replayed answer carries the management token, so it is kept only encrypted under the
    declaration's data key (and shredded with it).
    """

    __tablename__ = "consent_idempotence"

    cle: Mapped[str] = mapped_column(String(_HEX), primary_key=True)
    empreinte: Mapped[str] = mapped_column(String(_HEX))
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("consent_declarations.id", ondelete="CASCADE"), index=True
    )
    jeton_chiffre: Mapped[bytes] = mapped_column(LargeBinary)
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())


__all__ = [
    "JOB_TABLES",
    "JOURNAL_TABLES",
    "OUVERTURES",
    "Base",
    "CleDeclaration",
    "Compte",
    "Consultation",
    "Declaration",
    "Defi",
    "Evenement",
    "Idempotence",
    "JournalHorodatage",
    "Piece",
    "RechercheAutorite",
    "SessionDestinataire",
    "Version",
]
