"""documents emis: sealed PDFs issued once per version, stored as blobs

Revision ID: 6b8e0d2c4f11
Revises: 4c1e2a9b7d30
Create Date: 2026-12-07 14:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.models

revision: str = "6b8e0d2c4f11"
down_revision: str | None = "4c1e2a9b7d30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "documents_emis",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("acte_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("taille", sa.BigInteger(), nullable=False),
        sa.Column("faits_sha256", sa.String(length=64), nullable=False),
        sa.Column("emis_le", shared.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("journal_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["acte_id"], ["actes.id"], name=op.f("fk_documents_emis_acte_id_actes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents_emis")),
        sa.UniqueConstraint("acte_id", "type", "version", name=op.f("uq_documents_emis_acte_id")),
    )
    with op.batch_alter_table("documents_emis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_emis_acte_id"), ["acte_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents_emis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_emis_acte_id"))
    op.drop_table("documents_emis")
