"""journal pending queue, leaf_index null until integrated

Revision ID: 05809aac35af
Revises: a72854b5d5fe
Create Date: 2026-11-23 18:08:50.845879
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migrate import create_log_queue, drop_log_queue

revision: str = "05809aac35af"
down_revision: str | None = "a72854b5d5fe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_log_queue("journal")
    with op.batch_alter_table("consent_consultations", schema=None) as batch_op:
        batch_op.alter_column("leaf_index", existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("consent_evenements", schema=None) as batch_op:
        batch_op.alter_column("leaf_index", existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("consent_recherches_autorite", schema=None) as batch_op:
        batch_op.alter_column("leaf_index", existing_type=sa.INTEGER(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("consent_recherches_autorite", schema=None) as batch_op:
        batch_op.alter_column("leaf_index", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("consent_evenements", schema=None) as batch_op:
        batch_op.alter_column("leaf_index", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("consent_consultations", schema=None) as batch_op:
        batch_op.alter_column("leaf_index", existing_type=sa.INTEGER(), nullable=False)

    drop_log_queue("journal")
