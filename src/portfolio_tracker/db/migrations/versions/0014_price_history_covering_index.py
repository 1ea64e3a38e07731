"""price_history: an index that holds each series' closes in day order

A daily value history reads every close of every series it values (3,650 a series over ten
years). Through the unique index on (source, symbol, day) each row is then fetched from the
table by its id, one page lookup a row, scattered over the table as the daily refresh appends
all series day by day. An index over (source, symbol, day, close, currency) answers the same
range from the index alone (SQLite's covering index; on PostgreSQL an index-only scan once
the table is vacuumed), in day order.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 06:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_price_history_series_closes",
        "price_history",
        ["source", "symbol", "day", "close", "currency"],
    )


def downgrade() -> None:
    op.drop_index("ix_price_history_series_closes", table_name="price_history")
