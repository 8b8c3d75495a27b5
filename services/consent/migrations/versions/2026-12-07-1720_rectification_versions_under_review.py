"""rectification: versions under the operator's review, proofs bound to a version

Revision ID: 3b8e5f1a9c27
Revises: 3c9e5b7a1f24
Create Date: 2026-12-07 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.models

revision: str = "3b8e5f1a9c27"
down_revision: str | None = "3c9e5b7a1f24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consent_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("examen", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("soumise_le", shared.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decidee_le", shared.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("motif_chiffre", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("consent_pieces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent_pieces", schema=None) as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("consent_versions", schema=None) as batch_op:
        batch_op.drop_column("motif_chiffre")
        batch_op.drop_column("decidee_le")
        batch_op.drop_column("soumise_le")
        batch_op.drop_column("examen")
