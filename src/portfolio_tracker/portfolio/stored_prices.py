"""Stored price series (``price_history``) read as columns, for the portfolio's price series.

The history of a 50-asset portfolio reads about 180k closes; through SQLAlchemy's result
rows that cost about 1 s (a Row, a processed date and Decimal per close). Here the SQL is
still built with Core, but it runs on the DB-API cursor and the values go straight into
columns (``engine.observations.PriceColumn``):

* SQLite keeps days and decimals as text. One aggregate row per series carries all its
  days and all its closes as two comma-joined texts (``group_concat``), split and parsed
  in C (``date.fromisoformat``, ``Decimal``): no Python object per row beyond the values.
  ``group_concat`` has no ORDER BY before SQLite 3.44, so the days are checked to ascend
  (they do: the rows come along the unique (source, symbol, day) index) and sorted when they
  do not. Series that share their days (stocks of one exchange, every daily series) share
  one tuple of dates.
* PostgreSQL's driver builds dates and Decimals in C already: plain rows in day order.

A series whose rows are not all in one currency keeps the currency of each day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from itertools import islice
from operator import lt
from typing import Any, Literal

from sqlalchemy import Connection, String, bindparam, func, select, type_coerce
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler

from portfolio_tracker.db.models import ExchangeRate, PriceHistory
from portfolio_tracker.engine.observations import PriceColumn

__all__ = ["FeedKey", "RateRow", "read_feed_columns", "read_rate_rows"]

FeedKey = tuple[str, str]  # (source, symbol)
RateRow = tuple[date, str, str, Decimal]  # day, base, quote, rate: 1 base = rate quote
LoadMode = Literal["latest", "full"]

_WHERE = (
    PriceHistory.source == bindparam("source"),
    PriceHistory.symbol == bindparam("symbol"),
    PriceHistory.day <= bindparam("upto"),
)


def _joined() -> Select[Any, Any, Any]:
    """SQLite: one row per series, its days and closes joined by commas (index order) and the
    number of its rows in another currency than ``currency`` (cheaper than min and max)."""
    return select(
        func.group_concat(type_coerce(PriceHistory.day, String)),
        func.group_concat(type_coerce(PriceHistory.close, String)),
        func.sum(PriceHistory.currency != bindparam("currency")),
    ).where(*_WHERE)


def _currency() -> Select[str]:
    """The currency of any one row of a series (none: the series has no rows)."""
    return select(PriceHistory.currency).where(*_WHERE).limit(1)


def _rows() -> Select[date, Decimal, str]:
    return select(PriceHistory.day, PriceHistory.close, PriceHistory.currency).where(*_WHERE)


def _rates() -> Select[date, str, str, Decimal]:
    return select(ExchangeRate.day, ExchangeRate.base, ExchangeRate.quote, ExchangeRate.rate).where(
        ExchangeRate.base == bindparam("base"), ExchangeRate.day <= bindparam("upto")
    )


_STATEMENTS: dict[str, Callable[[], Select[*tuple[Any, ...]]]] = {
    "joined": _joined,
    "currency": _currency,
    "rates": _rates,
    "full": lambda: _rows().order_by(PriceHistory.day),
    "latest": lambda: _rows().order_by(PriceHistory.day.desc()).limit(2),
}
# (statement, dialect, driver, paramstyle) -> the statement compiled for them
_COMPILED: dict[tuple[str, str, str, str], SQLCompiler] = {}


def _driver_rows(conn: Connection, statement: str, params: dict[str, Any]) -> list[Any]:
    """Rows of one of ``_STATEMENTS`` from the DB-API cursor, unprocessed (texts on SQLite).

    The SQL is compiled once per dialect; parameters (``params`` and the statement's own,
    such as a LIMIT) are passed as the driver takes them, without bind processors.
    """
    dialect = conn.dialect
    key = (statement, dialect.name, dialect.driver, dialect.paramstyle)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = _STATEMENTS[statement]().compile(dialect=dialect)
    bound = compiled.construct_params(params)
    values: Any = (
        tuple(bound[name] for name in compiled.positiontup or ()) if compiled.positional else bound
    )
    cursor = conn.connection.cursor()
    try:
        cursor.execute(compiled.string, values)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def read_feed_columns(
    conn: Connection, feeds: Iterable[FeedKey], upto: date, mode: LoadMode
) -> dict[FeedKey, PriceColumn]:
    """Each stored series of ``feeds`` up to ``upto`` as a column (days ascending), its last
    two closes only in ``latest`` mode; a series without rows is left out."""
    sqlite = conn.dialect.name == "sqlite"
    shared: dict[str, tuple[date, ...]] = {}  # SQLite: joined days text -> its dates
    out: dict[FeedKey, PriceColumn] = {}
    for source, symbol in feeds:
        params = {"source": source, "symbol": symbol, "upto": upto.isoformat() if sqlite else upto}
        if sqlite and mode == "full":
            column = _joined_column(conn, params, shared)
        else:
            rows = _driver_rows(conn, mode, params)
            if mode == "latest":
                rows.reverse()
            column = _rows_column(rows, sqlite)
        if column is not None:
            out[source, symbol] = column
    return out


def _joined_column(
    conn: Connection, params: dict[str, Any], shared: dict[str, tuple[date, ...]]
) -> PriceColumn | None:
    found = _driver_rows(conn, "currency", params)
    if not found:
        return None
    currency = found[0][0]
    [(days_text, closes_text, others)] = _driver_rows(
        conn, "joined", {**params, "currency": currency}
    )
    if others or days_text is None:
        # Rare: the currency of each day is needed, or the rows went between the two reads
        # (SQLite reads outside a write see the latest commit, statement by statement).
        return _rows_column(_driver_rows(conn, "full", params), sqlite=True)
    days = shared.get(days_text)
    closes = list(map(Decimal, closes_text.split(",")))
    if days is None:
        parsed = list(map(date.fromisoformat, days_text.split(",")))
        if len(parsed) != len(closes):
            return _rows_column(_driver_rows(conn, "full", params), sqlite=True)
        if not _ascends(parsed):
            order = sorted(range(len(parsed)), key=parsed.__getitem__)
            days = tuple(parsed[i] for i in order)
            return PriceColumn("feed", days, [closes[i] for i in order], currency, ascending=True)
        days = shared[days_text] = tuple(parsed)
    elif len(closes) != len(days):
        return _rows_column(_driver_rows(conn, "full", params), sqlite=True)
    return PriceColumn("feed", days, closes, currency, ascending=True)


def _rows_column(rows: Sequence[Any], sqlite: bool) -> PriceColumn | None:
    """Rows (day, close, currency) in day order as a column."""
    if not rows:
        return None
    days_col, closes_col, currencies = zip(*rows, strict=True)
    if sqlite:
        days: Sequence[date] = tuple(map(date.fromisoformat, days_col))
        closes: Sequence[Decimal] = list(map(Decimal, closes_col))
    else:
        days, closes = days_col, closes_col
    first = currencies[0]
    if currencies.count(first) == len(currencies):
        return PriceColumn("feed", days, closes, first, ascending=True)
    return PriceColumn("feed", days, closes, "", currencies, ascending=True)


def read_rate_rows(conn: Connection, currencies: Iterable[str], upto: date) -> list[RateRow]:
    """Every stored exchange rate between ``currencies`` up to ``upto`` (no order), read from
    the DB-API cursor: one indexed query per base currency."""
    wanted = set(currencies)
    sqlite = conn.dialect.name == "sqlite"
    bound = upto.isoformat() if sqlite else upto
    out: list[RateRow] = []
    for base in sorted(wanted):
        rows = _driver_rows(conn, "rates", {"base": base, "upto": bound})
        kept = [row for row in rows if row[2] in wanted]
        if sqlite:
            parse = date.fromisoformat
            out.extend((parse(d), b, q, Decimal(r)) for d, b, q, r in kept)
        else:
            out.extend((d, b, q, r) for d, b, q, r in kept)
    return out


def _ascends(days: Sequence[date]) -> bool:
    return all(map(lt, days, islice(days, 1, None)))
