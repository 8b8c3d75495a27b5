"""SQLAlchemy models of the notify service (its own database).

- `Evenement`: every event received from the other services, kept as received (unknown types too);
  `numero` orders the pull feed, `id` is the producer's event id (idempotency key, `webhook-id`).
- `Abonnement`: an office's webhook endpoint; its signing secret is stored encrypted (AES-GCM under
  a per-record data key wrapped by `NOTIFY_SECRET_KEY`) because it is needed again to sign.
- `Livraison`: one per (event, subscription); `TentativeLivraison`: one per HTTP attempt.
- `AvisMiseADisposition`: the outcome of the e-mail sent to the destinataire on `acte.envoye`.
- `EnvoiCode`: that a one-time code was e-mailed for consent (never the code, never the address).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.jobs import define_job_tables
from shared.models import UtcDateTime, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()


JOB_TABLES = define_job_tables(Base.metadata)


class Evenement(Base):
    __tablename__ = "evenements"

    numero: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    office_id: Mapped[str | None] = mapped_column(String(64), index=True)
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())
    recu_le: Mapped[datetime] = mapped_column(UtcDateTime())
    donnees: Mapped[dict[str, Any]] = mapped_column(JSON)


class Abonnement(Base):
    __tablename__ = "abonnements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(Text)
    types: Mapped[list[str]] = mapped_column(JSON)
    cle_chiffree: Mapped[bytes] = mapped_column(LargeBinary)
    secret_chiffre: Mapped[bytes] = mapped_column(LargeBinary)
    #: "actif", "desactive" (410 Gone from the endpoint) or "supprime" (DELETE by the office).
    statut: Mapped[str] = mapped_column(String(16))
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())
    cree_par: Mapped[str] = mapped_column(String(200))
    desactive_le: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Livraison(Base):
    __tablename__ = "livraisons"
    __table_args__ = (UniqueConstraint("evenement_id", "abonnement_id"),)

    numero: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    evenement_id: Mapped[str] = mapped_column(ForeignKey("evenements.id"))
    abonnement_id: Mapped[str] = mapped_column(ForeignKey("abonnements.id"))
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    #: "en_attente", "livree", "echec" (retry schedule exhausted) or "abandonnee" (subscription off).
    statut: Mapped[str] = mapped_column(String(16))
    tentatives: Mapped[int] = mapped_column(Integer, default=0)
    cree_le: Mapped[datetime] = mapped_column(UtcDateTime())
    livree_le: Mapped[datetime | None] = mapped_column(UtcDateTime())
    prochaine_tentative_le: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TentativeLivraison(Base):
    __tablename__ = "tentatives_livraison"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    livraison_id: Mapped[str] = mapped_column(ForeignKey("livraisons.id"), index=True)
    numero: Mapped[int] = mapped_column(Integer)
    manuelle: Mapped[bool] = mapped_column(Boolean)
    debut_le: Mapped[datetime] = mapped_column(UtcDateTime())
    #: Null for a refused target (nothing was sent: nothing to time).
    duree_ms: Mapped[int | None] = mapped_column(Integer)
    #: "succes" or "echec".
    statut: Mapped[str] = mapped_column(String(16))
    code_reponse: Mapped[int | None] = mapped_column(Integer)
    classe_erreur: Mapped[str | None] = mapped_column(String(64))
    octets_lus: Mapped[int | None] = mapped_column(Integer)
    reponse_tronquee: Mapped[bool] = mapped_column(Boolean)


class AvisMiseADisposition(Base):
    __tablename__ = "avis_mise_a_disposition"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    acte_id: Mapped[str] = mapped_column(String(64), unique=True)
    evenement_id: Mapped[str] = mapped_column(ForeignKey("evenements.id"))
    #: "envoye" or "echec".
    statut: Mapped[str] = mapped_column(String(16))
    canal: Mapped[str] = mapped_column(String(16))
    envoye_le: Mapped[datetime] = mapped_column(UtcDateTime())
    message_id: Mapped[str | None] = mapped_column(String(255))
    #: SHA-256 (hex) of the exact bytes handed to the mail server, and the address masked.
    message_sha256: Mapped[str | None] = mapped_column(String(64))
    adresse_masquee: Mapped[str | None] = mapped_column(String(320))
    detail: Mapped[str | None] = mapped_column(Text)
    rapporte_le: Mapped[datetime | None] = mapped_column(UtcDateTime())


class EnvoiCode(Base):
    __tablename__ = "envois_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    objet: Mapped[str] = mapped_column(String(32))
    envoye_le: Mapped[datetime] = mapped_column(UtcDateTime())
    message_id: Mapped[str] = mapped_column(String(255))
