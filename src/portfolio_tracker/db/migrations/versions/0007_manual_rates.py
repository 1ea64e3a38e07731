"""manual exchange rates

A user's own exchange rates (POST /api/rates/manual): one per user, pair and day. They win
over stored rates of their pair and day for that user only; nothing else reads them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio_tracker.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "manual_rates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", portfolio_tracker.db.types.ExactDecimal(length=80), nullable=False),
        sa.Column(
            "created_at", portfolio_tracker.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_manual_rates_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_rates")),
        sa.UniqueConstraint(
            "user_id", "base", "quote", "day", name="uq_manual_rates_user_pair_day"
        ),
    )
    with op.batch_alter_table("manual_rates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manual_rates_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("manual_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manual_rates_user_id"))
    op.drop_table("manual_rates")
