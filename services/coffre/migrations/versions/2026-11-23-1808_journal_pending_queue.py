"""journal pending queue

Revision ID: 8747d5579998
Revises: 0f19b255db81
Create Date: 2026-11-23 18:08:52.315383
"""

from collections.abc import Sequence

from shared.migrate import create_log_queue, drop_log_queue

revision: str = "8747d5579998"
down_revision: str | None = "0f19b255db81"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_log_queue("journal")


def downgrade() -> None:
    drop_log_queue("journal")
