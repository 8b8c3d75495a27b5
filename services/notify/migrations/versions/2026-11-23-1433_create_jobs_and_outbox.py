"""create jobs and outbox

Revision ID: 04f9b9ae63be
Revises:
Create Date: 2026-11-23 14:33:53.147930
"""

from collections.abc import Sequence

from shared.migrate import create_job_tables, drop_job_tables

revision: str = "04f9b9ae63be"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_job_tables()


def downgrade() -> None:
    drop_job_tables()
