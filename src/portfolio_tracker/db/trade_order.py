"""The one order of trades in SQL: what engine.dates.order_key says, as an ORDER BY.

Calendar day, then time of day with date-only trades (NULL time) after every timed trade of
their day, then entry number (unique per user, so the order is total). The indexes
``ix_transactions_asset_order`` and ``ix_transactions_user_order`` serve it.
"""

from __future__ import annotations

from typing import Any

from portfolio_tracker.db.models import Transaction

TRADE_ORDER: tuple[Any, ...] = (
    Transaction.trade_date,
    Transaction.trade_time.asc().nulls_last(),
    Transaction.entry_number,
)
