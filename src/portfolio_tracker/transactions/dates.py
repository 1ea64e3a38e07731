"""A transaction's date as stored (engine.dates.TradeDate in three columns), and the rule that
no trade is dated after the user's today in their own time zone."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
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


def stored_trade_date(row: Transaction) -> TradeDate:
    return _trade_date(row.trade_date, row.trade_time, row.trade_utc_offset)


def _trade_date(day: date, at: time | None, offset_seconds: int | None) -> TradeDate:
    offset = None if offset_seconds is None else timedelta(seconds=offset_seconds)
    return TradeDate(day, at, offset)


def store_trade_date(row: Transaction, when: TradeDate) -> None:
    row.trade_date = when.day
    row.trade_time = when.time_of_day
    offset = when.utc_offset
    row.trade_utc_offset = None if offset is None else int(offset.total_seconds())


def trade_dates_of_asset(db: Session, asset_id: uuid.UUID) -> dict[str, TradeDate]:
    """The trade date of each of an asset's transactions, by transaction id (as text)."""
    rows = db.execute(
        select(
            Transaction.id,
            Transaction.trade_date,
            Transaction.trade_time,
            Transaction.trade_utc_offset,
        ).where(Transaction.asset_id == asset_id)
    )
    return {str(tx_id): _trade_date(day, at, offset) for tx_id, day, at, offset in rows}
