"""foreign securities and index series

``assets.foreign_security``: the asset is a security held abroad (the Türkiye mode of the
realised-gains report declares its gains). ``index_values``: a user's monthly index series
(e.g. Yİ-ÜFE), one value per user, name and month (stored as the month's first day).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 22:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio_tracker.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite a batch recreates the table, and
    # dropping the old assets table would cascade to its transactions.
    op.add_column(
        "assets",
        sa.Column("foreign_security", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "index_values",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("value", portfolio_tracker.db.types.ExactDecimal(length=80), nullable=False),
        sa.Column(
            "updated_at", portfolio_tracker.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_index_values_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_values")),
        sa.UniqueConstraint("user_id", "name", "month", name="uq_index_values_user_name_month"),
    )


def downgrade() -> None:
    op.drop_table("index_values")
    op.drop_column("assets", "foreign_security")  # SQLite 3.35+: ALTER TABLE DROP COLUMN
