"""The one order of trades in SQL: what engine.dates.order_key says, as an ORDER BY.

Calendar day, then time of day with date-only trades (NULL time) after every timed trade of
their day, then entry number (unique per user, so the order is total). The indexes
``ix_transactions_asset_order`` and ``ix_transactions_user_order`` serve it; on SQLite,
``ix_transactions_asset_replay`` serves it for one asset without a sort (see below).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

from portfolio_tracker.db.models import Transaction


class _TimeNullsLast(ColumnElement[Any]):
    """``trade_time ASC NULLS LAST``. SQLite can only read an index in its own NULLS FIRST
    order, so it sorts every trade of the range for ``NULLS LAST``; written there as
    ``trade_time IS NULL, trade_time`` (the same order) it follows an index on that
    expression (migration 0014) instead."""

    inherit_cache = True


@compiles(_TimeNullsLast)
def _nulls_last(element: _TimeNullsLast, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(Transaction.trade_time.asc().nulls_last(), **kw)


@compiles(_TimeNullsLast, "sqlite")
def _nulls_last_sqlite(element: _TimeNullsLast, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(Transaction.__table__.c.trade_time, **kw)
    return f"{column} IS NULL, {column}"


TRADE_ORDER: tuple[Any, ...] = (
    Transaction.trade_date,
    _TimeNullsLast(),
    Transaction.entry_number,
)
