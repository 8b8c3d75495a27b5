"""lettres simples envois: each posting recorded, corrections as new rows

Revision ID: 4c1e2a9b7d30
Revises: e30fd78f1fd9
Create Date: 2026-12-07 13:40:00

The postings recorded before this revision (one per acte, in `actes.lettre_simple_envoyee_le`) become
the first row of each acte, with the répertoire index of their `lettre_simple_envoyee` event.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.models

revision: str = "4c1e2a9b7d30"
down_revision: str | None = "e30fd78f1fd9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lettres_simples_envois",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("acte_id", sa.String(length=36), nullable=False),
        sa.Column("envoyee_le", sa.Date(), nullable=False),
        sa.Column("enregistre_le", shared.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("commissaire_sub", sa.String(length=200), nullable=False),
        sa.Column("corrige_id", sa.Integer(), nullable=True),
        sa.Column("motif", sa.Text(), nullable=True),
        sa.Column("journal_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acte_id"], ["actes.id"], name=op.f("fk_lettres_simples_envois_acte_id_actes")
        ),
        sa.ForeignKeyConstraint(
            ["corrige_id"],
            ["lettres_simples_envois.id"],
            name=op.f("fk_lettres_simples_envois_corrige_id_lettres_simples_envois"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lettres_simples_envois")),
        sa.UniqueConstraint("corrige_id", name=op.f("uq_lettres_simples_envois_corrige_id")),
    )
    with op.batch_alter_table("lettres_simples_envois", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lettres_simples_envois_acte_id"), ["acte_id"], unique=False)
    op.execute(
        sa.text(
            "INSERT INTO lettres_simples_envois "
            "(acte_id, envoyee_le, enregistre_le, commissaire_sub, journal_index) "
            "SELECT a.id, a.lettre_simple_envoyee_le, e.instant, a.commissaire_sub, e.journal_index "
            "FROM actes a JOIN actes_evenements e ON e.acte_id = a.id "
            "AND e.type = 'lettre_simple_envoyee' "
            "WHERE a.lettre_simple_envoyee_le IS NOT NULL AND e.journal_index IS NOT NULL"
        )
    )
    # A posting recorded without its répertoire entry could be neither recorded again nor corrected:
    # stop here rather than leave such an acte stuck (none is expected: the old posting appended its
    # leaf in its own transaction).
    orphelins = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM actes a WHERE a.lettre_simple_envoyee_le IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM lettres_simples_envois l WHERE l.acte_id = a.id)"
        )
    )
    if orphelins:
        raise RuntimeError(
            f"{orphelins} acte(s) have a lettre simple posting without its répertoire entry: "
            "inspect them (actes.lettre_simple_envoyee_le, actes_evenements) before migrating"
        )


def downgrade() -> None:
    with op.batch_alter_table("lettres_simples_envois", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lettres_simples_envois_acte_id"))
    op.drop_table("lettres_simples_envois")
