"""create jobs and outbox

Revision ID: da888abcc9e7
Revises:
Create Date: 2026-11-23 14:33:51.928677
"""

from collections.abc import Sequence

from shared.migrate import create_job_tables, drop_job_tables

revision: str = "da888abcc9e7"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_job_tables()


def downgrade() -> None:
    drop_job_tables()
