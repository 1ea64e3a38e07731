"""stored per-asset state: segments of each asset's history with checkpoints

`asset_segments` (a cache of the transactions: summaries per stretch of days, the engine's
checkpoints and realised flows; see portfolio_tracker.state) and `assets.state_sequence`
(which write the segments were last brought up to date at). Existing assets start with no
segments and a NULL state_sequence: their segments are built from the transactions at the
first read or write, or by `portfolio-tracker rebuild-state`.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 03:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("assets", sa.Column("state_sequence", sa.Integer(), nullable=True))
    op.create_table(
        "asset_segments",
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("start_day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("head", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("lots", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_segments_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_asset_segments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_id", "start_day", name=op.f("pk_asset_segments")),
    )
    op.create_index(op.f("ix_asset_segments_user_id"), "asset_segments", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_asset_segments_user_id"), table_name="asset_segments")
    op.drop_table("asset_segments")
    # In place, never a batch copy of `assets` (its drop would cascade to every transaction).
    op.drop_column("assets", "state_sequence")
