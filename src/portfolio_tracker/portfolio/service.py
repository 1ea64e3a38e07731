"""The portfolio summary and history: load rows, call the engine, cache the JSON answer.

Order matters for freshness: the data versions are read FIRST and the rows after, so the
rows behind a cached answer are never older than the versions in its key.

The trades come in through the stored state (``state.views``): each asset's lots and
realised flows from its last checkpoint plus the trades after it, and its day moves for the
history, so no read replays a whole history (issue 11). Prices and rates are read as stored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Container, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from portfolio_tracker.assets.ledger import Basis
from portfolio_tracker.db.versions import read_versions
from portfolio_tracker.engine.actions import CorporateAction
from portfolio_tracker.engine.dates import user_today
from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.history import (
    HistoryAsset,
    HistoryPoint,
    Interval,
    build_history,
    period_end_indices,
)
from portfolio_tracker.engine.money import ENGINE_CONTEXT, normalize_currency
from portfolio_tracker.engine.observations import Observation, PriceColumn
from portfolio_tracker.engine.prices import PriceSeries
from portfolio_tracker.engine.returns import twr_series, xirr, xirr_cashflows
from portfolio_tracker.engine.segments import DayMove, DaySeries
from portfolio_tracker.engine.valuation import (
    HoldingInput,
    PortfolioSummary,
    RealizedInBase,
    realized_in_base,
    summarize_portfolio,
)
from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.metrics import record_cache
from portfolio_tracker.portfolio.benchmarks import compare_benchmark, real_return_of
from portfolio_tracker.portfolio.cache import PortfolioCache, result_key
from portfolio_tracker.portfolio.history_body import HistoryBody, PointRow
from portfolio_tracker.portfolio.loading import (
    AssetInfo,
    covered_days,
    load_assets,
    load_bases,
    load_benchmark_rows,
    load_feed_rows,
    load_prices,
    load_rates,
    load_trades_on,
    manual_rates_key,
)
from portfolio_tracker.portfolio.loading import build_series as build_asset_series
from portfolio_tracker.portfolio.schemas import (
    AllocationOut,
    Attribution,
    CurrencyAmountOut,
    ExcludedOut,
    HistoryOut,
    HoldingOut,
    PortfolioOut,
)
from portfolio_tracker.state.store import load_trades_between
from portfolio_tracker.state.views import (
    RECENT_PRICED_DAYS,
    AssetFigures,
    asset_figures,
    asset_refs,
    collector_paused,
    days_series,
    flows_of_text,
    stored_days,
    text_digest,
)
from portfolio_tracker.usersettings.service import get_settings, not_after_today

MAX_RANGE_DAYS = 30 * 366
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: uuid.UUID
    versions: tuple[int, int]
    base_currency: str
    tz: ZoneInfo
    today: date


def viewer(db: Session, user_id: uuid.UUID, currency: str | None) -> Viewer:
    versions = read_versions(db, user_id)  # before any row is read (see module doc)
    settings = get_settings(db, user_id)
    tz = ZoneInfo(settings.time_zone)
    return Viewer(user_id, versions, currency or settings.base_currency, tz, user_today(tz))


@dataclass(frozen=True, slots=True)
class _Assets:
    """The user's assets (creation order) and the bases of those not plain FIFO."""

    assets: tuple[AssetInfo, ...]
    bases: dict[str, Basis]

    def actions(self, key: str) -> tuple[CorporateAction, ...]:
        basis = self.bases.get(key)
        return basis.actions if basis else ()


@dataclass(frozen=True, slots=True)
class Holdings(_Assets):
    """The assets with each one's figures (by asset key)."""

    figures: dict[str, AssetFigures]

    @property
    def first_trade_day(self) -> date | None:
        firsts = [f.first_day for f in self.figures.values() if f.first_day is not None]
        return min(firsts) if firsts else None


def holdings_of(db: Session, cache: PortfolioCache, user_id: uuid.UUID) -> Holdings:
    """Every asset of the user with its figures from the stored state (``state.views``)."""
    refs = asset_refs(db, user_id)
    assets = load_assets(db, user_id)
    bases = load_bases(db, user_id, assets)
    figures = asset_figures(
        db, [refs[a.key] for a in assets if a.key in refs], bases, cache.figures, cache.writer
    )
    return Holdings(assets, bases, figures)


def refresh_figures(
    db: Session, cache: PortfolioCache, user_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]
) -> None:
    """After a committed write: compute the written assets' figures into this process's
    cache (and queue their checkpoints' write-back), so that the next read of the portfolio
    pays nothing for the write. Never raises: the write is done, a failure here only leaves
    the work to that read."""
    try:
        wanted = {str(a) for a in asset_ids}
        refs = asset_refs(db, user_id)
        assets = tuple(a for a in load_assets(db, user_id) if a.key in wanted)
        bases = load_bases(db, user_id, assets)
        chosen = [refs[a.key] for a in assets if a.key in refs]
        asset_figures(db, chosen, bases, cache.figures, cache.writer)
        db.rollback()  # ends the read transaction
    except Exception:
        log.warning("refreshing the figures after a write failed", exc_info=True)
        db.rollback()


def _traded(moves: Iterable[DayMove], currency: str) -> list[Observation]:
    """The prices the user's own trades observed: each day's last trade price above 0
    (``engine.observations.trade_observations``, from the stored day moves)."""
    ccy = normalize_currency(currency)
    return [Observation(m.day, m.price, ccy, "trade") for m in moves if m.price is not None]


def _traded_days(days: DaySeries, currency: str, skip: Container[int] | None = None) -> PriceColumn:
    """``_traded`` over the day moves of the history, as one column (no object per day),
    without the days ``skip`` names (``loading.covered_days``: days a feed or manual price
    covers, where a trade's price is never taken)."""
    ccy = normalize_currency(currency)
    ordinals, prices = days.priced(skip)
    on = tuple(map(date.fromordinal, ordinals))
    return PriceColumn("trade", on, tuple(prices), ccy, ascending=True)


def _recent_traded(
    figures: AssetFigures, currency: str, today: date
) -> list[Observation] | PriceColumn:
    """The trade observations that can price ``today`` and the day before: the last few
    priced days, or every one when those all lie after yesterday (a trade dated after today
    in the user's time zone)."""
    recent = figures.recent_prices
    if len(recent) == RECENT_PRICED_DAYS and recent[0].day >= today - timedelta(days=1):
        return _traded_days(figures.days(), currency)
    return _traded(recent, currency)


# --- summary -------------------------------------------------------------------------------


def portfolio_summary(
    db: Session, cache: PortfolioCache, user_id: uuid.UUID, currency: str | None
) -> bytes:
    """The JSON body of GET /api/portfolio, from the cache when nothing changed."""
    who = viewer(db, user_id, currency)
    key = result_key(user_id, who.versions, "summary", who.today.isoformat(), who.base_currency)
    cached = cache.results.get(key)
    record_cache("portfolio", cached is not None)
    if cached is not None:
        return cached
    summary = compute_summary(db, cache, who)
    body = summary_out(summary).model_dump_json().encode()
    cache.results.set(key, body)
    return body


def _realized(
    cache: PortfolioCache,
    figures: AssetFigures,
    currency: str,
    rates: RateTable,
    who: Viewer,
    rates_key: Hashable,
    memos: dict[str, dict[date, Decimal]],
) -> RealizedInBase:
    """The asset's realised P&L in the viewer's base currency: the sum over its segments of
    their realised flows, each at its day's rate (the conversion is linear). A stored
    segment's figure is kept (``FiguresCache.part_get``, by its text) for as long as the
    rates it was converted at are the same, so a write converts only what it changed.
    ``memos``: rates by day per currency, shared by the assets of one summary."""
    ccy = normalize_currency(currency)
    base = normalize_currency(who.base_currency)
    if ccy == base:
        return RealizedInBase(figures.lots.realized_pnl)
    key = ("realized", ccy, base, rates_key)  # the asset's currency can be edited
    found: RealizedInBase | None = figures.memo.get(key)
    if found is not None:
        return found
    by_date = memos.setdefault(ccy, {})
    total = Decimal(0)
    with localcontext(ENGINE_CONTEXT):
        for part in figures.flow_parts:
            if isinstance(part, str):
                part_key = (text_digest(part), ccy, key)
                converted = cache.figures.part_get(part_key)
                if converted is None:
                    flows = flows_of_text(part)
                    converted = realized_in_base(flows, rates, ccy, base, by_date)
                    cache.figures.part_set(part_key, converted)
            else:
                converted = realized_in_base(part, rates, ccy, base, by_date)
            if converted.amount is None:
                total_or_none = RealizedInBase(None)
                figures.memo[key] = total_or_none
                return total_or_none
            total += converted.amount
    found = RealizedInBase(total)
    figures.memo[key] = found
    return found


def _rates(
    db: Session,
    cache: PortfolioCache,
    who: Viewer,
    currencies: Iterable[str],
    upto: date,
    rates_key: Hashable,
) -> RateTable:
    """The rate table of these currencies up to ``upto`` (``loading.load_rates``), kept in
    this process while the stored rates (prices version) and the user's manual rates
    (``rates_key``) stay the same."""
    wanted = frozenset(currencies)
    key = (rates_key, wanted, upto)
    found = cache.rates.get(key)
    if found is None:
        found = load_rates(db, who.user_id, wanted, upto)
        cache.rates.set(key, found)
    return found


def compute_summary(db: Session, cache: PortfolioCache, who: Viewer) -> PortfolioSummary:
    with collector_paused():  # see there: no cycles, only objects to rescan
        return _compute_summary(db, cache, who)


def _compute_summary(db: Session, cache: PortfolioCache, who: Viewer) -> PortfolioSummary:
    held = holdings_of(db, cache, who.user_id)
    raw = load_prices(db, who.user_id, held.assets, who.today, "latest")
    currencies = {who.base_currency, *(a.currency for a in held.assets), *raw.currencies()}
    rates_key = (who.versions[1], manual_rates_key(db, who.user_id))
    rates = _rates(db, cache, who, currencies, who.today, rates_key)
    todays = load_trades_on(db, who.user_id, who.today)
    memos: dict[str, dict[date, Decimal]] = {}
    holdings = []
    yesterday = who.today - timedelta(days=1)
    for asset in held.assets:
        figures = held.figures[asset.key]
        traded = _recent_traded(figures, asset.currency, who.today)
        series = build_asset_series(asset, raw, rates, traded, held.actions(asset.key))
        realized = _realized(cache, figures, asset.currency, rates, who, rates_key, memos)
        holdings.append(
            HoldingInput(
                asset_id=asset.key,
                name=asset.name,
                asset_type=asset.type,
                currency=asset.currency,
                fifo=figures.lots,
                quote=series.price_on(who.today) if series else None,
                previous_quote=series.price_on(yesterday) if series else None,
                trades=todays.get(asset.key, ()),
                realized_base=realized,
            )
        )
    return summarize_portfolio(holdings, rates, who.base_currency, who.today)


def summary_out(s: PortfolioSummary) -> PortfolioOut:
    return PortfolioOut(
        base_currency=s.base_currency,
        on=s.on,
        total_market_value=s.total_market_value,
        total_cost_basis=s.total_cost_basis,
        unrealized_pnl=s.unrealized_pnl,
        unrealized_pnl_pct=_ratio(s.unrealized_pnl, s.total_cost_basis),
        realized_pnl=s.realized_pnl,
        day_change=s.day_change,
        day_change_pct=s.day_change_pct,
        allocation_by_type=[
            AllocationOut(key=a.key, market_value=a.market_value, weight=a.weight)
            for a in s.allocation_by_type
        ],
        allocation_by_currency=[
            AllocationOut(key=a.key, market_value=a.market_value, weight=a.weight)
            for a in s.allocation_by_currency
        ],
        holdings=[
            HoldingOut(
                asset_id=h.asset_id,
                name=h.name,
                type=h.asset_type,
                currency=h.currency,
                quantity=h.quantity,
                average_cost=h.average_cost,
                price=h.price,
                price_currency=h.price_currency,
                price_date=h.price_date,
                price_source=h.price_source,
                staleness_days=h.staleness_days,
                fx_rate=h.fx_rate,
                fx_as_of=h.fx_as_of,
                market_value=h.market_value,
                cost_basis=h.cost_basis,
                unrealized_pnl=h.unrealized_pnl,
                unrealized_pnl_pct=h.unrealized_pnl_pct,
                realized_pnl=h.realized_pnl,
                weight=h.weight,
                day_change=h.day_change,
                day_change_pct=h.day_change_pct,
                attribution=Attribution(
                    price_effect=h.attribution.price_effect,
                    currency_effect=h.attribution.currency_effect,
                )
                if h.attribution
                else None,
                unpriced_reason=h.unpriced_reason,
            )
            for h in s.holdings
        ],
        unpriced_count=s.unpriced_count,
        unpriced_cost_basis=s.unpriced_cost_basis,
        unpriced_cost_by_currency=[
            CurrencyAmountOut(currency=c.currency, amount=c.amount)
            for c in s.unpriced_cost_by_currency
        ],
        realized_unconverted_count=s.realized_unconverted_count,
    )


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    with localcontext(ENGINE_CONTEXT):
        return part / whole


# --- history -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    start: date | None
    end: date | None
    currency: str | None
    interval: Interval
    benchmark: str | None


def portfolio_history(
    db: Session, cache: PortfolioCache, user_id: uuid.UUID, query: HistoryQuery
) -> bytes:
    """The JSON body of GET /api/portfolio/history, from the cache when nothing changed.

    The caller has checked `from` <= `to`; today and the 30-year span are checked here.
    """
    who = viewer(db, user_id, query.currency)
    check_range(query, who)
    key = result_key(
        user_id,
        who.versions,
        "history",
        who.today.isoformat(),
        who.base_currency,
        query.start.isoformat() if query.start else "first",
        query.end.isoformat() if query.end else "today",
        query.interval,
        query.benchmark or "",
    )
    cached = cache.results.get(key)
    record_cache("portfolio", cached is not None)
    if cached is not None:
        return cached
    body = compute_history(db, cache, who, query).json()
    cache.results.set(key, body)
    return body


def check_range(query: HistoryQuery, who: Viewer) -> None:
    """Explicit dates end on the user's today at the latest (in their time zone) and span at
    most 30 years; 422 naming the parameter otherwise."""
    for day, name in ((query.start, "from"), (query.end, "to")):
        if day is not None:
            not_after_today(day, who.tz, ["query", name])
    if query.start is not None and (query.end or who.today) - query.start > timedelta(
        days=MAX_RANGE_DAYS
    ):
        raise InvalidInput("the range may span at most 30 years", ["query", "from"])


@dataclass(frozen=True, slots=True)
class _DaysHeld(_Assets):
    """What the history reads of each asset: its day moves (no lots)."""

    days: dict[str, DaySeries]

    @property
    def first_trade_day(self) -> date | None:
        firsts = [d.ordinals[0] for d in self.days.values() if d.ordinals]
        return date.fromordinal(min(firsts)) if firsts else None


def history_range(
    query: HistoryQuery, ledger: Holdings | _DaysHeld, who: Viewer
) -> tuple[date, date]:
    """Explicit dates as given; `from` defaults to the first trade's day (at most 30 years
    back), `to` to today."""
    end = query.end or who.today
    if query.start is not None:
        if query.start > end:
            raise InvalidInput(f"must be on or before `to` ({end.isoformat()})", ["query", "from"])
        return query.start, end
    start = ledger.first_trade_day or end
    return max(min(start, end), end - timedelta(days=MAX_RANGE_DAYS)), end


def compute_history(
    db: Session, cache: PortfolioCache, who: Viewer, q: HistoryQuery
) -> HistoryBody:
    """The history answer (``HistoryBody.json()`` is the response body)."""
    with collector_paused():  # see there: no cycles, only objects to rescan
        return _compute_history(db, cache, who, q)


def _compute_history(
    db: Session, cache: PortfolioCache, who: Viewer, q: HistoryQuery
) -> HistoryBody:
    refs = asset_refs(db, who.user_id)
    infos = load_assets(db, who.user_id)
    bases = load_bases(db, who.user_id, infos)
    wanted = [refs[a.key] for a in infos if a.key in refs]
    texts = stored_days(db, wanted, bases, cache.figures, cache.writer)
    all_days = {key: days_series(found) for key, found in texts.items()}
    held = _DaysHeld(infos, bases, all_days)
    start, end = history_range(q, held, who)
    base = who.base_currency
    raw = load_prices(db, who.user_id, held.assets, end, "full")
    cpi_symbol = "CPI-TR" if base == "TRY" else "CPI-US"
    cpi_rows = load_feed_rows(db, "index", cpi_symbol, end, "full")
    bench_label: str | None = None
    bench_rows: list[tuple[date, Decimal, str]] = []
    if q.benchmark is not None:
        bench_label, bench_rows = _benchmark_rows(db, q.benchmark, base, cpi_symbol, end)
    currencies = {
        base,
        *(a.currency for a in held.assets),
        *raw.currencies(),
        *(ccy for _, _, ccy in bench_rows[-1:]),
    }
    rates_key = (who.versions[1], manual_rates_key(db, who.user_id))
    rates = _rates(db, cache, who, currencies, end, rates_key)
    assets = []
    for asset in held.assets:
        days = held.days.get(asset.key)
        if days is None or not days.ordinals:
            continue
        actions = held.actions(asset.key)
        traded = _traded_days(days, asset.currency, covered_days(asset, raw))
        series = build_asset_series(asset, raw, rates, traded, actions)
        prices = series or PriceSeries(base, (), ())
        if actions:
            # Each trade is rescaled by its own day's factor: these assets read their trades.
            trades = load_trades_between(db, asset.id)
            assets.append(HistoryAsset(asset.key, asset.currency, trades, prices, actions))
        else:
            assets.append(HistoryAsset(asset.key, asset.currency, (), prices, days=days))
    cpi = PriceSeries.from_points(((d, c) for d, c, _ in cpi_rows), "XXX", cpi_symbol)
    history = build_history(assets, rates, base, start, end, "day")
    daily = history.points
    names = {a.key: a.name for a in held.assets}
    cumulative = twr_series(daily)
    total_twr = cumulative[-1]
    comparison = None
    benchmark_values: list[Decimal | None] = [None] * len(daily)
    if q.benchmark is not None:
        comparison, benchmark_values = compare_benchmark(
            q.benchmark, bench_label, bench_rows, daily, rates, base
        )
    picked = period_end_indices([p.on for p in daily], q.interval)
    head = HistoryOut(
        base_currency=base,
        from_=start,
        to=end,
        interval=q.interval,
        points=[],
        twr=total_twr,
        xirr=xirr(xirr_cashflows(daily)),
        unpriced_days=sum(1 for p in daily if p.unpriced_count),
        excluded=[
            ExcludedOut(
                asset_id=e.asset_id,
                name=names[e.asset_id],
                reason=e.reason,
                from_=e.start,
                to=e.end,
            )
            for e in history.excluded
        ],
        benchmark=comparison,
        real_return=real_return_of(total_twr, cpi, cpi_symbol, start, end),
    )
    points = [_point(daily, picked, i, cumulative, benchmark_values) for i in range(len(picked))]
    return HistoryBody(head, points)


def _point(
    daily: tuple[HistoryPoint, ...],
    picked: list[int],
    k: int,
    cumulative: list[Decimal],
    benchmark_values: list[Decimal | None],
) -> PointRow:
    i = picked[k]
    first = picked[k - 1] + 1 if k else 0
    p = daily[i]
    flow = p.net_flow
    if i > first:
        with localcontext(ENGINE_CONTEXT):
            flow = sum((q.net_flow for q in daily[first : i + 1]), Decimal(0))
    return PointRow(
        p.on,
        p.market_value,
        p.net_invested,
        flow,
        cumulative[i],
        p.unpriced_count,
        benchmark_values[i],
    )


def _benchmark_rows(
    db: Session, name: str, base: str, cpi_symbol: str, end: date
) -> tuple[str | None, list[tuple[date, Decimal, str]]]:
    """The stored series a benchmark reads, named 'source:symbol' (None when none is)."""
    if name == "USDTRY":
        return f"exchange_rates:USD/{base}", []
    if name in ("XAU", "XAG"):
        rows = load_feed_rows(db, "metals", name, end, "full")
        return f"metals:{name}", rows
    if name == "CPI":
        return f"index:{cpi_symbol}", load_feed_rows(db, "index", cpi_symbol, end, "full")
    source, rows = load_benchmark_rows(db, name, end)
    return (f"{source}:{name}" if rows else None), rows
