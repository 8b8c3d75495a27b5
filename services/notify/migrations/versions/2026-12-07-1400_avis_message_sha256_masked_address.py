"""avis de mise à disposition: SHA-256 of the message handed over, masked address

Revision ID: 9a3d5e7f1b20
Revises: f02d8e593c99
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a3d5e7f1b20"
down_revision: str | None = "f02d8e593c99"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("avis_mise_a_disposition", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("adresse_masquee", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("avis_mise_a_disposition", schema=None) as batch_op:
        batch_op.drop_column("adresse_masquee")
        batch_op.drop_column("message_sha256")
