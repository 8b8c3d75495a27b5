"""declaration récépissé kept as issued

Revision ID: 7d2f4a6c8e13
Revises: 1dd44afe4820
Create Date: 2026-12-07 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2f4a6c8e13"
down_revision: str | None = "1dd44afe4820"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consent_declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recepisse_jws", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent_declarations", schema=None) as batch_op:
        batch_op.drop_column("recepisse_jws")
