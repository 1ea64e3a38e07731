"""Daily closes and exchange rates in the database, as docs/price-storage.md defines them.

Writes are upserts, idempotent on ``(source, symbol, day)`` and ``(base, quote, day)``, and
portable (the dialect's ``INSERT … ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL). A row
is only rewritten when its value changed, and the global ``prices`` data version is bumped
in the same transaction whenever anything was written. Nothing here commits: the caller's
unit of work does.

Every value is checked again before it is written (the providers check first): a feed's
answer is untrusted input, and a rejected value must never become a stored price.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portfolio_tracker.db.dialect import dialect_insert
from portfolio_tracker.db.models import (
    Asset,
    CorporateAction,
    ExchangeRate,
    PriceHistory,
    utcnow,
)
from portfolio_tracker.db.versions import bump_prices
from portfolio_tracker.prices.providers.base import SplitEvent

logger = logging.getLogger(__name__)

# The sources a price_history row may carry (the asset price sources, plus `index`).
SOURCES = frozenset({"tefas", "yahoo", "stooq", "coingecko", "metals", "index"})
MAX_PRICE = Decimal(1_000_000_000)
MAX_RATE = Decimal(10_000_000)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SYMBOL = re.compile(r"^[A-Z0-9^][A-Z0-9.=\-^_]{0,39}$")
# Rows per INSERT: 7 bound values a row stays far below SQLite's variable limit.
BATCH = 500


def _as_of(day: date, fetched_at: datetime | None) -> datetime:
    """When a stored value was last known to hold: its fetch time, but never later than the
    end of its own day (a backfilled 2020 close is not a price of today)."""
    end_of_day = datetime.combine(day, time(23, 59, 59), UTC)
    return end_of_day if fetched_at is None else min(fetched_at, end_of_day)


@dataclass(frozen=True, slots=True)
class Close:
    """One daily close to store (or as stored)."""

    source: str
    symbol: str
    day: date
    close: Decimal
    currency: str
    fetched_at: datetime | None = None

    @property
    def as_of(self) -> datetime:
        return _as_of(self.day, self.fetched_at)


@dataclass(frozen=True, slots=True)
class Rate:
    """1 ``base`` = ``rate`` ``quote`` on ``day``."""

    base: str
    quote: str
    day: date
    rate: Decimal
    source: str
    fetched_at: datetime | None = None

    @property
    def as_of(self) -> datetime:
        return _as_of(self.day, self.fetched_at)


class StorageRejected(ValueError):
    """A value that must not be stored (the caller logs it and moves on)."""


def _positive(value: object, limit: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise StorageRejected(f"{what} is not a finite decimal: {value!r}"[:120])
    if value <= 0 or value > limit:
        raise StorageRejected(f"{what} {value} is outside (0, {limit}]")
    return value


def check_close(row: Close) -> Close:
    if row.source not in SOURCES:
        raise StorageRejected(f"unknown price source {row.source!r}"[:80])
    if not _SYMBOL.fullmatch(row.symbol):
        raise StorageRejected(f"symbol {row.symbol!r} is not canonical"[:80])
    if not _CURRENCY.fullmatch(row.currency):
        raise StorageRejected(f"currency {row.currency!r} is not an ISO code"[:80])
    _positive(row.close, MAX_PRICE, "close")
    return row


def check_rate(row: Rate) -> Rate:
    for code in (row.base, row.quote):
        if not _CURRENCY.fullmatch(code):
            raise StorageRejected(f"currency {code!r} is not an ISO code"[:80])
    if row.base == row.quote:
        raise StorageRejected("a rate needs two different currencies")
    if not row.source or len(row.source) > 32:
        raise StorageRejected("rate source missing or too long")
    _positive(row.rate, MAX_RATE, "rate")
    return row


def _checked(rows: Iterable[Any], check: Any) -> list[Any]:
    kept = []
    for row in rows:
        try:
            kept.append(check(row))
        except StorageRejected as exc:
            logger.warning("prices storage: refused %r: %s", row, exc)
    return kept


def store_closes(db: Session, rows: Iterable[Close]) -> int:
    """Upsert daily closes; returns how many rows were inserted or changed. Bumps the
    prices data version when that is more than zero."""
    by_key: dict[tuple[str, str, date], Close] = {}
    for row in _checked(rows, check_close):
        by_key[(row.source, row.symbol, row.day)] = row  # the last answer for a day wins
    now = utcnow()
    values = [
        {
            "source": r.source,
            "symbol": r.symbol,
            "day": r.day,
            "close": r.close,
            "currency": r.currency,
            "fetched_at": r.fetched_at or now,
        }
        for r in by_key.values()
    ]
    return _upsert(db, PriceHistory, values, ("source", "symbol", "day"), ("close", "currency"))


def store_rates(db: Session, rows: Iterable[Rate]) -> int:
    """Upsert exchange rates (the last writer of a pair and day wins); returns rows written."""
    by_key: dict[tuple[str, str, date], Rate] = {}
    for row in _checked(rows, check_rate):
        by_key[(row.base, row.quote, row.day)] = row
    now = utcnow()
    values = [
        {
            "base": r.base,
            "quote": r.quote,
            "day": r.day,
            "rate": r.rate,
            "source": r.source,
            "fetched_at": r.fetched_at or now,
        }
        for r in by_key.values()
    ]
    return _upsert(db, ExchangeRate, values, ("base", "quote", "day"), ("rate", "source"))


def _upsert(
    db: Session,
    table: type[PriceHistory] | type[ExchangeRate],
    values: list[dict[str, Any]],
    key: tuple[str, ...],
    compared: tuple[str, ...],
) -> int:
    """Insert `values`, or update the row with the same `key` columns when one of the
    `compared` columns differs (then `fetched_at` moves too); returns rows written and bumps
    the prices data version when that is more than zero."""
    written = 0
    for start in range(0, len(values), BATCH):
        statement = dialect_insert(db)(table).values(values[start : start + BATCH])
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=list(key),
            set_={name: excluded[name] for name in (*compared, "fetched_at")},
            where=or_(*(getattr(table, name) != excluded[name] for name in compared)),
        ).returning(table.id)
        # RETURNING lists inserted and changed rows only (an unchanged row is skipped by
        # the WHERE), on SQLite and PostgreSQL alike; rowcount is not reliable for both.
        written += len(db.execute(statement).all())
    if written:
        bump_prices(db)
    return written


def latest_close(db: Session, sources: Sequence[str], symbol: str) -> Close | None:
    """The newest stored close of ``symbol`` from any of ``sources`` (on a tie, the first
    source listed wins)."""
    rows = db.execute(
        select(
            PriceHistory.source,
            PriceHistory.day,
            PriceHistory.close,
            PriceHistory.currency,
            PriceHistory.fetched_at,
        )
        .where(PriceHistory.symbol == symbol, PriceHistory.source.in_(list(sources)))
        .order_by(PriceHistory.day.desc())
        .limit(len(sources))
    ).all()
    if not rows:
        return None
    newest = rows[0].day
    best = min((r for r in rows if r.day == newest), key=lambda r: list(sources).index(r.source))
    return Close(
        source=best.source,
        symbol=symbol,
        day=best.day,
        close=best.close,
        currency=best.currency,
        fetched_at=best.fetched_at,
    )


def latest_rate(db: Session, base: str, quote: str) -> Rate | None:
    """The newest stored rate of the pair, or 1 / the newest of the inverse pair."""
    found: list[Rate] = []
    for first, second in ((base, quote), (quote, base)):
        row = db.execute(
            select(
                ExchangeRate.day, ExchangeRate.rate, ExchangeRate.source, ExchangeRate.fetched_at
            )
            .where(ExchangeRate.base == first, ExchangeRate.quote == second)
            .order_by(ExchangeRate.day.desc())
            .limit(1)
        ).first()
        if row is not None and row.rate > 0:
            rate = row.rate if first == base else Decimal(1) / row.rate
            found.append(
                Rate(
                    base=base,
                    quote=quote,
                    day=row.day,
                    rate=rate,
                    source=row.source,
                    fetched_at=row.fetched_at,
                )
            )
    if not found:
        return None
    return max(found, key=lambda r: r.day)  # the direct pair wins a tie (max keeps the first)


def rate_span(db: Session, base: str, quote: str) -> tuple[date, date] | None:
    """The first and last day a rate of the pair (either orientation) is stored for."""
    spans = []
    for first, second in ((base, quote), (quote, base)):
        row = db.execute(
            select(func.min(ExchangeRate.day), func.max(ExchangeRate.day)).where(
                ExchangeRate.base == first, ExchangeRate.quote == second
            )
        ).one()
        if row[0] is not None:
            spans.append((row[0], row[1]))
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def suggest_splits(db: Session, symbol: str, splits: Iterable[SplitEvent]) -> int:
    """Offer each split a feed reported as a `suggested` corporate action of every stock
    asset priced by that feed symbol (ticker = ``symbol``, price source auto or the feed),
    unless the asset already has an action of that kind on that day (confirmed, suggested or
    dismissed). Never applied: the owner confirms it (POST .../corporate-actions/{id}/
    confirm). Returns the rows added; the caller commits."""
    added = 0
    for split in splits:
        kind = "split" if split.numerator > split.denominator else "reverse_split"
        assets = db.execute(
            select(Asset.id, Asset.user_id).where(
                Asset.type == "stock",
                Asset.ticker_symbol == symbol,
                or_(Asset.price_source.is_(None), Asset.price_source.in_(("auto", split.source))),
            )
        ).all()
        for asset_id, user_id in assets:
            taken = db.scalar(
                select(CorporateAction.id).where(
                    CorporateAction.asset_id == asset_id,
                    CorporateAction.ex_date == split.day,
                    CorporateAction.kind == kind,
                )
            )
            if taken is None:
                db.add(
                    CorporateAction(
                        user_id=user_id,
                        asset_id=asset_id,
                        kind=kind,
                        ex_date=split.day,
                        numerator=split.numerator,
                        denominator=split.denominator,
                        status="suggested",
                        source=split.source,
                    )
                )
                added += 1
    if added:
        db.flush()
    return added
