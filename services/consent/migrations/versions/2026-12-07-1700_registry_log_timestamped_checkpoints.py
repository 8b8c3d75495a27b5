"""registry log: timestamped checkpoints

Revision ID: 3c9e5b7a1f24
Revises: 7d2f4a6c8e13
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.models

revision: str = "3c9e5b7a1f24"
down_revision: str | None = "7d2f4a6c8e13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_journal_horodatages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("taille", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.Column("jeton", sa.LargeBinary(), nullable=False),
        sa.Column("cree_le", shared.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_journal_horodatages")),
    )
    with op.batch_alter_table("consent_journal_horodatages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_journal_horodatages_taille"), ["taille"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("consent_journal_horodatages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_journal_horodatages_taille"))
    op.drop_table("consent_journal_horodatages")
