"""Writing a transaction's date (engine.dates.TradeDate in three columns; assets.ledger reads
it back), and the rule that no trade is dated after the user's today in their own time zone."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

from portfolio_tracker.db.models import Transaction
from portfolio_tracker.engine.dates import TradeDate, trade_date_of
from portfolio_tracker.usersettings.service import not_after_today, user_time_zone

DATE_FIELD = ("body", "transaction_date")


def resolve_trade_date(db: Session, user_id: uuid.UUID, given: date | datetime) -> TradeDate:
    """The trade date of an input, in the user's zone; 422 when it is after their today."""
    tz = user_time_zone(db, user_id)
    when = trade_date_of(given, tz)
    not_after_today(when.day, tz, DATE_FIELD)
    return when


def store_trade_date(row: Transaction, when: TradeDate) -> None:
    row.trade_date = when.day
    row.trade_time = when.time_of_day
    offset = when.utc_offset
    row.trade_utc_offset = None if offset is None else int(offset.total_seconds())
