"""covering indexes: each price series' closes, and (SQLite) each asset's trades in order

A daily value history reads every close of every series it values (3,650 a series over ten
years). Through the unique index on (source, symbol, day) each row is then fetched from the
table by its id, one page lookup a row, scattered over the table as the daily refresh appends
all series day by day. An index over (source, symbol, day, close, currency) answers the same
range from the index alone (SQLite's covering index; on PostgreSQL an index-only scan once
the table is vacuumed), in day order.

SQLite also gets `ix_transactions_asset_replay`: one asset's trades in the one order of trades
(`db.trade_order`, whose ORDER BY SQLite writes as `trade_time IS NULL, trade_time`) with the
columns a replay reads, so that replaying an asset's history reads one index range, already
sorted, rather than sorting its rows fetched one by one from the table. PostgreSQL reads its
`ix_transactions_asset_order` in that order already (ASC puts NULLs last there).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 06:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


REPLAY_COLUMNS = (
    "asset_id",
    "trade_date",
    "trade_time IS NULL",
    "trade_time",
    "entry_number",
    "type",
    "quantity",
    "price_per_unit",
    "fee",
    "id",
)


def upgrade() -> None:
    op.create_index(
        "ix_price_history_series_closes",
        "price_history",
        ["source", "symbol", "day", "close", "currency"],
    )
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(
            "ix_transactions_asset_replay",
            "transactions",
            [sa.text(c) if " " in c else c for c in REPLAY_COLUMNS],
        )


def downgrade() -> None:
    # The code of 0014 stores a segment summary whose days all carry a price with "pd": null
    # (state.codec.encode_summary); the code of 0013 reads "pd" as a list and fails on it
    # (GET /api/portfolio 500, the history without the trades' prices). Untrusted segments
    # are rebuilt from the transactions on their next use (state.store), in 0013's format.
    op.execute(sa.text("UPDATE assets SET state_sequence = NULL"))
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_transactions_asset_replay", table_name="transactions")
    op.drop_index("ix_price_history_series_closes", table_name="price_history")
