"""cost-basis methods, sell allocations and corporate actions

`assets.cost_basis_method` (fifo by default: every existing asset keeps its figures),
`sell_allocations` (the lots a sell names under the `specific` method) and
`corporate_actions` (splits, reverse splits and bonus issues; feed suggestions until
confirmed). See engine/methods.py and engine/actions.py.

The method's CHECK constraint is added on PostgreSQL only: on SQLite it would need a batch
copy of `assets`, whose drop cascades (ON DELETE CASCADE) to every transaction; the API
refuses any other value on both.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 22:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio_tracker.db.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_METHOD_CHECK = "cost_basis_method IN ('fifo', 'average', 'lifo', 'hifo', 'specific')"


def upgrade() -> None:
    # In place, never a batch copy of `assets` (see the module doc).
    op.add_column(
        "assets",
        sa.Column("cost_basis_method", sa.String(length=16), server_default="fifo", nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint("cost_basis_method", "assets", _METHOD_CHECK)
    op.create_table(
        "corporate_actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ex_date", sa.Date(), nullable=False),
        sa.Column("numerator", portfolio_tracker.db.types.ExactDecimal(length=80), nullable=False),
        sa.Column(
            "denominator", portfolio_tracker.db.types.ExactDecimal(length=80), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column(
            "created_at", portfolio_tracker.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('split', 'reverse_split', 'bonus')", name=op.f("ck_corporate_actions_kind")
        ),
        sa.CheckConstraint(
            "status IN ('confirmed', 'suggested', 'dismissed')",
            name=op.f("ck_corporate_actions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_corporate_actions_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_corporate_actions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corporate_actions")),
        sa.UniqueConstraint(
            "asset_id", "ex_date", "kind", name="uq_corporate_actions_asset_day_kind"
        ),
    )
    with op.batch_alter_table("corporate_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_corporate_actions_asset_id"), ["asset_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_corporate_actions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "sell_allocations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sell_id", sa.Uuid(), nullable=False),
        sa.Column("buy_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", portfolio_tracker.db.types.ExactDecimal(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["buy_id"],
            ["transactions.id"],
            name=op.f("fk_sell_allocations_buy_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sell_id"],
            ["transactions.id"],
            name=op.f("fk_sell_allocations_sell_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sell_allocations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sell_allocations")),
    )
    with op.batch_alter_table("sell_allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sell_allocations_buy_id"), ["buy_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sell_allocations_sell_id"), ["sell_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sell_allocations_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sell_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sell_allocations_user_id"))
        batch_op.drop_index(batch_op.f("ix_sell_allocations_sell_id"))
        batch_op.drop_index(batch_op.f("ix_sell_allocations_buy_id"))
    op.drop_table("sell_allocations")
    with op.batch_alter_table("corporate_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corporate_actions_user_id"))
        batch_op.drop_index(batch_op.f("ix_corporate_actions_asset_id"))
    op.drop_table("corporate_actions")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("cost_basis_method", "assets", type_="check")
    # Not in batch mode (module doc); SQLite 3.35+ drops a column in place.
    op.drop_column("assets", "cost_basis_method")
