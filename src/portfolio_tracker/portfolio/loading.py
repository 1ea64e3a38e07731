"""Loading one user's portfolio as engine values: assets, trades, price series and rates.

Hot path: plain columns through Core selects (never ORM objects), one query per table for
the ledger, one small indexed query per price series. Which series prices an asset follows
docs/price-storage.md; metal spot (USD per troy ounce of pure metal) becomes a price per
counted unit (gram, ounce, coin) with ``engine.metals``.
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, localcontext
from itertools import repeat
from operator import mul
from typing import Any, Literal, cast

from sqlalchemy import String, select, type_coerce
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session

from portfolio_tracker.assets.ledger import (
    CONFIRMED,
    TRADE_COLUMNS,
    Basis,
    action_of,
    stored_trade,
    trade_of,
)
from portfolio_tracker.db.models import (
    Asset,
    ManualPrice,
    ManualRate,
    SellAllocation,
    Transaction,
)
from portfolio_tracker.db.models import CorporateAction as CorporateActionRow
from portfolio_tracker.db.trade_order import TRADE_ORDER
from portfolio_tracker.engine.actions import CorporateAction, current_units, factor_on
from portfolio_tracker.engine.fx import PIVOT_CURRENCIES, RateTable
from portfolio_tracker.engine.lots import Trade
from portfolio_tracker.engine.metals import COINS, fine_troy_ounces, parse_unit
from portfolio_tracker.engine.methods import LotsResult
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.observations import (
    Observation,
    PriceColumn,
    observed_columns,
    trade_observations,
)
from portfolio_tracker.engine.prices import PriceSeries
from portfolio_tracker.engine.vocabulary import AssetType, CostBasisMethod, Metal
from portfolio_tracker.portfolio.stored_prices import read_feed_columns, read_rate_rows
from portfolio_tracker.prices.sources import SPLIT_ADJUSTED_SOURCES, stored_series_of

PriceRow = tuple[date, Decimal, str]  # day, close, currency
LoadMode = Literal["latest", "full"]

# Sources searched for a benchmark symbol, most authoritative first.
BENCHMARK_SOURCES = ("index", "yahoo", "stooq", "tefas", "coingecko", "metals")


@dataclass(frozen=True, slots=True)
class AssetInfo:
    id: uuid.UUID
    key: str  # str(id), the engine's asset id
    name: str
    type: AssetType
    ticker_symbol: str | None
    currency: str
    unit: str | None
    fineness: Decimal | None
    price_source: str
    cost_basis_method: CostBasisMethod = CostBasisMethod.fifo


@dataclass(slots=True)
class Ledger:
    """One user's assets and trades, read once per user data version (see cache.py).

    ``bases``: each asset's cost-basis method, confirmed corporate actions and allocations
    (``assets.ledger.Basis``); an asset missing from it is plain FIFO."""

    assets: tuple[AssetInfo, ...]
    trades: dict[str, list[Trade]]  # asset key -> trades in the order of trades
    bases: dict[str, Basis] = field(default_factory=dict)
    _fifo: dict[str, LotsResult] = field(default_factory=dict)
    _observed: dict[str, list[Observation]] = field(default_factory=dict)

    def basis(self, asset_key: str) -> Basis:
        return self.bases.get(asset_key) or _FIFO

    def actions(self, asset_key: str) -> tuple[CorporateAction, ...]:
        return self.basis(asset_key).actions

    def fifo(self, asset_key: str) -> LotsResult:
        """The asset's lots under its method and actions (the name predates the methods)."""
        found = self._fifo.get(asset_key)
        if found is None:
            trades = self.trades.get(asset_key, [])
            found = self._fifo[asset_key] = self.basis(asset_key).run(trades)
        return found

    def trade_observations(self, asset: AssetInfo) -> list[Observation]:
        """The prices the user's own trades observed, one per calendar day (cached)."""
        found = self._observed.get(asset.key)
        if found is None:
            trades = self.trades.get(asset.key, ())
            found = self._observed[asset.key] = trade_observations(trades, asset.currency)
        return found

    @property
    def first_trade_day(self) -> date | None:
        firsts = [trades[0].day for trades in self.trades.values() if trades]
        return min(firsts) if firsts else None


_FIFO = Basis()


def asset_info(row: Any) -> AssetInfo:
    """An asset's columns (a stored `Asset` or a row selecting the same names) as a value."""
    return AssetInfo(
        id=uuid.UUID(str(row.id)),
        key=str(row.id),
        name=row.name,
        type=cast(AssetType, row.type),
        ticker_symbol=row.ticker_symbol,
        currency=row.currency,
        unit=row.unit,
        fineness=row.fineness,
        price_source=row.price_source or "auto",
        cost_basis_method=CostBasisMethod(getattr(row, "cost_basis_method", None) or "fifo"),
    )


def load_assets(db: Session, user_id: uuid.UUID) -> tuple[AssetInfo, ...]:
    """One user's assets in the order they were created (one query of plain columns)."""
    return tuple(
        asset_info(row)
        for row in db.connection().execute(
            select(
                Asset.id,
                Asset.name,
                Asset.type,
                Asset.ticker_symbol,
                Asset.currency,
                Asset.unit,
                Asset.fineness,
                Asset.price_source,
                Asset.cost_basis_method,
            )
            .where(Asset.user_id == user_id)
            .order_by(Asset.created_at, Asset.id)
        )
    )


def load_ledger(db: Session, user_id: uuid.UUID) -> Ledger:
    """One user's assets and every trade, in two queries of plain columns."""
    conn = db.connection()  # Core results: no ORM row layer on 100k rows
    assets = load_assets(db, user_id)
    sqlite = conn.dialect.name == "sqlite"
    # Ids as text (a UUID object per row costs 3 µs); SQLite's days and times as their stored
    # text, parsed in C. The asset id's text differs by backend, so it is mapped back.
    raw_asset_ids = {
        raw: str(asset_id)
        for asset_id, raw in conn.execute(
            select(Asset.id, sa_cast(Asset.id, String)).where(Asset.user_id == user_id)
        )
    }
    rows: Sequence[Any] = conn.execute(
        select(
            sa_cast(Transaction.asset_id, String),
            sa_cast(Transaction.id, String),
            Transaction.type,
            _as_text(Transaction.quantity, sqlite),
            _as_text(Transaction.price_per_unit, sqlite),
            _as_text(Transaction.fee, sqlite),
            _as_text(Transaction.trade_date, sqlite),
            _as_text(Transaction.trade_time, sqlite),
            Transaction.entry_number,
        )
        .where(Transaction.user_id == user_id)
        .order_by(Transaction.asset_id, *TRADE_ORDER)
    ).all()
    trades: dict[str, list[Trade]] = {a.key: [] for a in assets}
    current: str | None = None
    bucket: list[Trade] = []
    parse_day, parse_time = date.fromisoformat, time.fromisoformat
    day_text: str | None = None
    for raw_asset, tx_id, kind, quantity, price, fee, day, at, entry in rows:
        if raw_asset != current:
            current = raw_asset
            bucket = trades.setdefault(raw_asset_ids.get(raw_asset, raw_asset), [])
        if sqlite:
            quantity, price, fee = Decimal(quantity), Decimal(price), Decimal(fee)
            if day != day_text:  # trades of one day share one date object
                day_text, day_value = day, parse_day(day)
            day = day_value
            if at is not None:
                at = parse_time(at)
        bucket.append(stored_trade(tx_id, kind, quantity, price, fee, day, entry, at))
    return Ledger(assets, trades, load_bases(db, user_id, assets))


def load_trades_on(db: Session, user_id: uuid.UUID, day: date) -> dict[str, list[Trade]]:
    """The user's trades of one calendar day (the day change reads them), by asset key, in
    the order of trades."""
    found: dict[str, list[Trade]] = {}
    rows = db.execute(
        select(Transaction.asset_id, *TRADE_COLUMNS)
        .where(Transaction.user_id == user_id, Transaction.trade_date == day)
        .order_by(*TRADE_ORDER)
    )
    for row in rows:
        found.setdefault(str(row.asset_id), []).append(trade_of(row))
    return found


def manual_rates_key(db: Session, user_id: uuid.UUID) -> int:
    """A digest of the user's manual rates: figures converted at the user's rates are kept
    while it and the stored prices version stay the same."""
    rows = db.execute(
        select(ManualRate.day, ManualRate.base, ManualRate.quote, ManualRate.rate)
        .where(ManualRate.user_id == user_id)
        .order_by(ManualRate.day, ManualRate.base, ManualRate.quote)
    )
    return hash(tuple(tuple(row) for row in rows))


def load_bases(db: Session, user_id: uuid.UUID, assets: Sequence[AssetInfo]) -> dict[str, Basis]:
    """Each asset's Basis (``assets.ledger``) for the assets that are not plain FIFO: two
    small owner-scoped queries of plain columns (confirmed actions; allocations of the
    assets under ``specific``)."""
    actions: dict[str, list[CorporateAction]] = {}
    for asset_id, action_id, kind, ex_date, numerator, denominator in db.execute(
        select(
            CorporateActionRow.asset_id,
            CorporateActionRow.id,
            CorporateActionRow.kind,
            CorporateActionRow.ex_date,
            CorporateActionRow.numerator,
            CorporateActionRow.denominator,
        )
        .where(CorporateActionRow.user_id == user_id, CorporateActionRow.status == CONFIRMED)
        .order_by(CorporateActionRow.ex_date, CorporateActionRow.created_at, CorporateActionRow.id)
    ):
        action = action_of(action_id, kind, ex_date, numerator, denominator)
        actions.setdefault(str(asset_id), []).append(action)
    allocations: dict[str, dict[str, list[tuple[str, Decimal]]]] = {}
    if any(a.cost_basis_method == CostBasisMethod.specific for a in assets):
        # Sell and buy ids as text the way the trades' ids were read (load_ledger casts in
        # SQL: SQLite's text of a UUID has no hyphens), so that they match the trades.
        for asset_id, sell_id, buy_id, quantity in db.execute(
            select(
                Transaction.asset_id,
                sa_cast(SellAllocation.sell_id, String),
                sa_cast(SellAllocation.buy_id, String),
                SellAllocation.quantity,
            )
            .join(Transaction, Transaction.id == SellAllocation.sell_id)
            .where(SellAllocation.user_id == user_id)
            .order_by(SellAllocation.sell_id, SellAllocation.position)
        ):
            by_sell = allocations.setdefault(str(asset_id), {})
            by_sell.setdefault(sell_id, []).append((buy_id, quantity))
    bases: dict[str, Basis] = {}
    for a in assets:
        acts = tuple(actions.get(a.key, ()))
        specific = a.cost_basis_method == CostBasisMethod.specific
        if acts or a.cost_basis_method != CostBasisMethod.fifo:
            chosen = allocations.get(a.key, {}) if specific else {}
            bases[a.key] = Basis(a.cost_basis_method, acts, chosen)
    return bases


def _as_text(column: Any, sqlite: bool) -> Any:
    """SQLite stores exact decimals as canonical text: read that text, skip the processor."""
    return type_coerce(column, String) if sqlite else column


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """Where an asset's price comes from: feed series (lowest precedence first), and the
    factor that turns a feed close (metal spot per troy ounce) into a price per unit."""

    feeds: tuple[tuple[str, str], ...]  # (source, symbol)
    per_unit_factor: Decimal | None


def series_spec(asset: AssetInfo) -> SeriesSpec:
    """The series the price service stores for this asset (`prices.sources`), and for a
    metal the fine troy ounces in one counted unit."""
    series = stored_series_of(asset.type, asset.ticker_symbol, asset.price_source)
    factor: Decimal | None = None
    if series and asset.type == AssetType.metal:
        try:
            unit = parse_unit(asset.unit or "gram")
            # A coin is minted at its standard fineness; bars and grams carry the asset's.
            fineness = None if unit in COINS else asset.fineness
            metal = Metal.of_ticker(asset.ticker_symbol)
            factor = fine_troy_ounces(Decimal(1), unit, fineness, metal=metal)
        except ValueError:
            return SeriesSpec((), None)  # e.g. a silver coin: only manual prices can price it
    # Later series win a day, so the most preferred one goes last.
    return SeriesSpec(tuple(reversed(series)), factor)


def load_feed_rows(
    db: Session, source: str, symbol: str, upto: date, mode: LoadMode
) -> list[PriceRow]:
    """A stored series up to ``upto``, ascending; only its last two closes in `latest` mode."""
    column = read_feed_columns(db.connection(), [(source, symbol)], upto, mode).get(
        (source, symbol)
    )
    if column is None:
        return []
    currencies = column.currencies or repeat(column.currency)
    return list(zip(column.days, column.prices, currencies, strict=False))


def load_manual_rows(db: Session, user_id: uuid.UUID, upto: date) -> dict[str, list[PriceRow]]:
    by_asset: dict[str, list[PriceRow]] = {}
    rows = db.execute(
        select(ManualPrice.asset_id, ManualPrice.day, ManualPrice.price, ManualPrice.currency)
        .where(ManualPrice.user_id == user_id, ManualPrice.day <= upto)
        .order_by(ManualPrice.asset_id, ManualPrice.day)
    )
    for asset_id, day, price, currency in rows:
        by_asset.setdefault(str(asset_id), []).append((day, price, currency))
    return by_asset


def load_rates(db: Session, user_id: uuid.UUID, currencies: Iterable[str], upto: date) -> RateTable:
    """Every stored rate between the given currencies (and the pivots) up to ``upto``, with
    the user's manual rates of those currencies on top (they win their pair and day)."""
    wanted = sorted({*currencies, *PIVOT_CURRENCIES})
    rows = read_rate_rows(db.connection(), wanted, upto)
    manual = db.execute(
        select(ManualRate.day, ManualRate.base, ManualRate.quote, ManualRate.rate).where(
            ManualRate.user_id == user_id,
            ManualRate.base.in_(wanted),
            ManualRate.quote.in_(wanted),
            ManualRate.day <= upto,
        )
    )
    return RateTable(rows, overrides=manual)


@dataclass(frozen=True, slots=True)
class RawPrices:
    """Prices as stored, before currencies are reconciled (needs the rate table): each feed
    series (by (source, symbol)) and each asset's manual prices (by asset key) as a column
    in day order (``engine.observations.PriceColumn``)."""

    feeds: dict[tuple[str, str], PriceColumn]
    manual: dict[str, PriceColumn]
    specs: dict[str, SeriesSpec]
    # (feed, per-unit factor's digits) -> the feed's closes times the factor, shared by the
    # assets priced per unit of one spot series (gram gold, coins).
    _per_unit: dict[tuple[tuple[str, str], Any], PriceColumn] = field(default_factory=dict)

    @property
    def feed_rows(self) -> dict[tuple[str, str], list[PriceRow]]:
        """The feed series as rows (day, close, currency); builds a tuple per close."""
        return {key: _rows_of(column) for key, column in self.feeds.items()}

    @property
    def manual_rows(self) -> dict[str, list[PriceRow]]:
        """The manual prices as rows (day, price, currency), by asset key."""
        return {key: _rows_of(column) for key, column in self.manual.items()}

    def currencies(self) -> set[str]:
        """Every currency code of the stored prices, as stored."""
        found: set[str] = set()
        for column in (*self.feeds.values(), *self.manual.values()):
            found |= column.codes()
        return found

    def per_unit(self, feed: tuple[str, str], factor: Decimal) -> PriceColumn | None:
        """The feed's closes times ``factor`` (a metal's fine ounces per unit), computed once
        per feed and factor. Call under ``ENGINE_CONTEXT``."""
        column = self.feeds.get(feed)
        if column is None:
            return None
        key = (feed, factor.as_tuple())
        found = self._per_unit.get(key)
        if found is None:
            prices = list(map(mul, column.prices, repeat(factor)))
            found = self._per_unit[key] = PriceColumn(
                column.source, column.days, prices, column.currency, column.currencies, True
            )
        return found


def _rows_of(column: PriceColumn) -> list[PriceRow]:
    currencies = column.currencies or repeat(column.currency)
    return list(zip(column.days, column.prices, currencies, strict=False))


def load_prices(
    db: Session, user_id: uuid.UUID, assets: Sequence[AssetInfo], upto: date, mode: LoadMode
) -> RawPrices:
    """The stored series that price ``assets`` (``series_spec``) and the user's manual
    prices, up to ``upto``; only the last two of each in `latest` mode."""
    specs = {a.key: series_spec(a) for a in assets}
    wanted = sorted({feed for spec in specs.values() for feed in spec.feeds})
    feeds = read_feed_columns(db.connection(), wanted, upto, mode)
    manual_rows = load_manual_rows(db, user_id, upto)
    manual: dict[str, PriceColumn] = {}
    for key, rows in manual_rows.items():
        kept = rows[-2:] if mode == "latest" else rows
        days, prices, currencies = zip(*kept, strict=True)
        first = currencies[0]
        uniform = currencies.count(first) == len(currencies)
        manual[key] = PriceColumn(
            "manual", days, prices, first if uniform else "", () if uniform else currencies, True
        )
    return RawPrices(feeds, manual, specs)


def covered_days(asset: AssetInfo, raw: RawPrices) -> Container[int] | None:
    """The days (ordinals) with a feed close or a manual price of ``asset``: on such a day
    ``build_series`` never takes the price of the user's own trades (it ranks below both),
    so a caller may leave those trade prices out. A ``range`` when one daily column covers
    every day from its first to its last (crypto, FX, metals); None when no day is covered."""
    columns = [raw.feeds[feed] for feed in raw.specs[asset.key].feeds if feed in raw.feeds]
    manual = raw.manual.get(asset.key)
    if manual is not None:
        columns.append(manual)
    found: list[Container[int]] = []
    for column in columns:
        days = column.days
        if not days:
            continue
        first, last = days[0].toordinal(), days[-1].toordinal()
        if column.ascending and last - first + 1 == len(days):
            found.append(range(first, last + 1))
        else:
            found.append(set(map(date.toordinal, days)))
    if len(found) <= 1:
        return found[0] if found else None
    return _AnyOf(found)


@dataclass(frozen=True, slots=True)
class _AnyOf:
    """Days in any of several containers."""

    parts: list[Container[int]]

    def __contains__(self, ordinal: object) -> bool:
        return any(ordinal in part for part in self.parts)


def build_series(
    asset: AssetInfo,
    raw: RawPrices,
    rates: RateTable,
    traded: Iterable[Observation] | PriceColumn,
    actions: Sequence[CorporateAction] = (),
) -> PriceSeries | None:
    """The asset's per-unit price series from every observation of its price: feed closes
    (converted from spot for metals), its manual prices and its own trades (``traded``:
    ``Ledger.trade_observations``, or the same as one column, ``engine.observations.
    trade_column``), ranked on one day manual > feed > trade. None when
    nothing prices it. Currencies are reconciled by ``engine.observations.observed_columns``
    (the same series as ``observed_series`` of these observations, in columns).

    With corporate actions (``actions``, confirmed) the series is on the adjusted basis, in
    today's units (``engine.actions.current_units``): a split-adjusted feed
    (``prices.sources.SPLIT_ADJUSTED_SOURCES``: Yahoo's ``close``) as it is; every other
    price — the user's trades and manual prices, unadjusted feeds — divided by its day's
    factor. Quantities in the history are counted in the same units, so a day's value is
    the pre-action quantity x the unadjusted price across an ex-date.
    """
    spec = raw.specs[asset.key]
    factor = spec.per_unit_factor
    if isinstance(traded, PriceColumn):
        own = [traded]
    else:
        own = PriceColumn.of_observations(traded if isinstance(traded, Sequence) else list(traded))
    with localcontext(ENGINE_CONTEXT):
        periods = current_units(actions)
        columns = [_adjusted(c, periods) for c in own]
        for feed in spec.feeds:
            column = raw.per_unit(feed, factor) if factor is not None else raw.feeds.get(feed)
            if column is not None:
                adjust = feed[0] not in SPLIT_ADJUSTED_SOURCES
                columns.append(_adjusted(column, periods) if adjust else column)
        manual = raw.manual.get(asset.key)
        if manual is not None:
            columns.append(_adjusted(manual, periods))
    return observed_columns(columns, rates, asset.name)


def _adjusted(column: PriceColumn, periods: Sequence[tuple[date, Decimal]]) -> PriceColumn:
    """The column's prices divided by their day's factor (``current_units``); as it is
    without corporate actions. Call under ``ENGINE_CONTEXT``."""
    if not periods:
        return column
    prices = [p / factor_on(d, periods) for d, p in zip(column.days, column.prices, strict=True)]
    return PriceColumn(
        column.source, column.days, prices, column.currency, column.currencies, column.ascending
    )


def load_benchmark_rows(db: Session, symbol: str, upto: date) -> tuple[str, list[PriceRow]]:
    """The stored series of a benchmark symbol from the first source that has it."""
    for source in BENCHMARK_SOURCES:
        rows = load_feed_rows(db, source, symbol, upto, "full")
        if rows:
            return source, rows
    return "", []
