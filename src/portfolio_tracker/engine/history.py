"""Portfolio value and net invested over a date range, one pass per asset.

Conventions:

* A point's ``market_value`` is the sum over the assets that can be valued that day
  (``observations.valuable_from``) of (quantity held at the END of that calendar day) x
  (last observed price on or before the day) x (rate of the price's currency into the base
  on the day).
* An asset that cannot be valued on a day (no price observed yet, or no rate yet into the
  base) is left out of that day's value AND its flows — never valued at 0 — and named in
  ``ValueHistory.excluded`` with the first and last day it was left out; the point's
  ``unpriced_count`` counts such assets (holding a quantity or trading that day). Prices and
  rates carry forward, so an asset is left out only before one date. When it becomes
  valuable while holding a quantity, that quantity enters the portfolio on that day as an
  external flow at the day's value, as if transferred in: its earlier flows could not be
  converted, and without the entry flow its arrival would count as a gain.
* An external flow is money moving into the holdings from outside: a buy adds
  ``quantity x price + fee``, a sell subtracts ``quantity x price - fee`` (its proceeds).
  Each flow is converted at the rate of its trade's calendar day (``Trade.day``).
* ``net_invested`` is the cumulative flow from the first trade ever up to and including the
  point's day (so it includes flows before ``start``). ``net_flow`` is the flow of the
  point's period: the day itself for daily points; for weekly/monthly points the days of
  the period that lie inside the range.
* Weekly points are ISO weeks (Monday-Sunday) and monthly points calendar months, each
  dated on the last day of the period that lies in the range (so the final point is
  ``end`` itself).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from itertools import accumulate, chain, repeat
from operator import add, mul, sub
from typing import Literal

from portfolio_tracker.engine.actions import CorporateAction, current_units, factor_on
from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.lots import Trade, order_trades
from portfolio_tracker.engine.money import ENGINE_CONTEXT, normalize_currency
from portfolio_tracker.engine.observations import valuable_from
from portfolio_tracker.engine.prices import PriceSeries
from portfolio_tracker.engine.segments import DaySeries
from portfolio_tracker.engine.valuation import UnpricedReason

__all__ = [
    "Exclusion",
    "HistoryAsset",
    "HistoryPoint",
    "Interval",
    "ValueHistory",
    "build_history",
    "period_end_indices",
    "sample_points",
]

Interval = Literal["day", "week", "month"]
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class HistoryAsset:
    """One asset's trades (any order; put in the order of trades here) and prices.

    ``currency`` is the currency of the trades; ``prices`` carries its own currency, which
    may differ (a TRY-bought gold coin valued from a USD spot series). Build ``prices`` with
    ``observations.observed_series`` so that the asset's own trades count as observations.

    ``actions`` (corporate actions, ``engine.actions``): quantities are then counted in
    today's units (after every action: ``actions.current_units``), so ``prices`` must be on
    that adjusted basis too (a split-adjusted feed as it is; an unadjusted price of a day
    divided by that day's factor). Quantity x price is the day's true value either way.
    """

    asset_id: str
    currency: str
    trades: Sequence[Trade]
    prices: PriceSeries
    actions: Sequence[CorporateAction] = ()
    # The trades summed per day (engine.segments.DaySeries, from the stored state) instead of
    # ``trades``: the same quantities and flows per day, without reading every trade. Only
    # without corporate actions (each trade would need its own day's factor).
    days: DaySeries | None = None

    def __post_init__(self) -> None:
        if self.days is not None and self.actions:
            raise ValueError("day moves cannot carry corporate actions: give the trades")


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    on: date
    market_value: Decimal
    net_invested: Decimal
    net_flow: Decimal
    unpriced_count: int


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An asset left out of the history's values and flows from ``start`` to ``end``
    (inclusive, inside the range) for ``reason``; only days it held or traded count."""

    asset_id: str
    reason: UnpricedReason
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class ValueHistory:
    points: tuple[HistoryPoint, ...]
    excluded: tuple[Exclusion, ...]  # by asset (input order), then reason


def build_history(
    assets: Sequence[HistoryAsset],
    rates: RateTable,
    base_currency: str,
    start: date,
    end: date,
    interval: Interval = "day",
) -> ValueHistory:
    """Points from ``start`` to ``end`` inclusive in ``base_currency``, and the assets left
    out of them (see module doc).

    Cost: O(trades log trades + days x (assets + currencies)); each asset is walked once with
    slice fills, and prices are multiplied by quantities per currency before one FX
    multiplication per currency per day.
    """
    if end < start:
        raise ValueError(f"history range ends ({end}) before it starts ({start})")
    if interval not in ("day", "week", "month"):
        raise ValueError(f"unknown interval {interval!r}")
    base = normalize_currency(base_currency)
    n = (end - start).days + 1
    days = [start + timedelta(days=i) for i in range(n)]
    with localcontext(ENGINE_CONTEXT):
        book = _Book(n, start.toordinal(), base, rates)
        for asset in assets:
            book.add_asset(asset)
        values = book.values_in(days)
        opening, flows = book.flows_in()
        invested = list(accumulate(flows, add, initial=opening))[1:]
    daily = tuple(
        HistoryPoint(days[i], values[i], invested[i], flows[i], book.unpriced[i]) for i in range(n)
    )
    points = daily if interval == "day" else sample_points(daily, interval)
    return ValueHistory(points, tuple(book.excluded))


def sample_points(daily: Sequence[HistoryPoint], interval: Interval) -> tuple[HistoryPoint, ...]:
    """Keep the last daily point of each period; a kept point's flow sums its period."""
    if interval == "day":
        return tuple(daily)
    out: list[HistoryPoint] = []
    first = 0
    with localcontext(ENGINE_CONTEXT):
        for last in period_end_indices([p.on for p in daily], interval):
            p = daily[last]
            flow = sum((q.net_flow for q in daily[first : last + 1]), _ZERO)
            out.append(HistoryPoint(p.on, p.market_value, p.net_invested, flow, p.unpriced_count))
            first = last + 1
    return tuple(out)


def period_end_indices(days: Sequence[date], interval: Interval) -> list[int]:
    """Indices of the last of the ascending ``days`` in each week/month (every index for day).

    Use it to pick per-period figures computed on daily points, e.g. the cumulative TWR:
    ``[twr_series(daily)[i] for i in period_end_indices([p.on for p in daily], "month")]``.
    """
    if interval == "day":
        return list(range(len(days)))
    _period(date.min, interval)  # rejects an unknown interval even for an empty range
    return [
        i
        for i in range(len(days))
        if i + 1 == len(days) or _period(days[i + 1], interval) != _period(days[i], interval)
    ]


def _period(d: date, interval: Interval) -> tuple[int, int]:
    if interval == "week":
        iso = d.isocalendar()
        return iso.year, iso.week
    if interval == "month":
        return d.year, d.month
    raise ValueError(f"unknown interval {interval!r}")


class _Book:
    """Accumulators for one history run: local values per price currency, flows per day."""

    def __init__(self, n: int, start_ordinal: int, base: str, rates: RateTable) -> None:
        self.n = n
        self.start_ordinal = start_ordinal
        self.base = base
        self.rates = rates
        self.unpriced = [0] * n
        self.excluded: list[Exclusion] = []
        # price currency -> per-day sum of quantity x close, in that currency
        self.local_values: dict[str, list[Decimal]] = {}
        # currency -> {flow day ordinal: local flow}
        self.flows: dict[str, dict[int, Decimal]] = {}

    def add_asset(self, asset: HistoryAsset) -> None:
        valuable = valuable_from(asset.prices, asset.currency, self.base, self.rates)
        # Never valuable: after the range (and after every trade it reads).
        from_ordinal = valuable.toordinal() if valuable is not None else date.max.toordinal()
        quantities, left_out = self._quantities(asset, from_ordinal)
        if left_out:
            self._enter(asset, from_ordinal)
        first_valued = min(max(from_ordinal - self.start_ordinal, 0), self.n)
        if first_valued:
            self._exclude(asset, quantities, left_out, first_valued)
        if first_valued >= self.n:
            return
        closes, _ = _daily_closes(asset.prices, self.start_ordinal, self.n)
        acc = self.local_values.setdefault(asset.prices.currency, [_ZERO] * self.n)
        values = map(mul, quantities[first_valued:], closes[first_valued:])
        acc[first_valued:] = map(add, acc[first_valued:], values)

    def _enter(self, asset: HistoryAsset, from_ordinal: int) -> None:
        """The entry flow of an asset that traded before it could be valued: what it holds
        then, at the value of its first valuable day (module doc)."""
        if from_ordinal >= self.start_ordinal + self.n:
            return  # it enters after the range, if ever
        if asset.days is not None:
            held = _held_before_days(asset.days, from_ordinal)
        else:
            held = _held_before(asset.trades, from_ordinal, asset.actions)
        if held:
            quote = asset.prices.require_on(date.fromordinal(from_ordinal))
            entry = self.flows.setdefault(asset.prices.currency, {})
            entry[from_ordinal] = entry.get(from_ordinal, _ZERO) + held * quote.price

    def _exclude(
        self,
        asset: HistoryAsset,
        quantities: list[Decimal],
        left_out: dict[int, Decimal],
        first_valued: int,
    ) -> None:
        """Count the days before ``first_valued`` that the asset held or traded, by reason."""
        first_observed = asset.prices.dates[0].toordinal() if asset.prices.dates else None
        spans: dict[UnpricedReason, list[int]] = {}
        for i in range(first_valued):
            ordinal = self.start_ordinal + i
            if quantities[i] or ordinal in left_out:
                self.unpriced[i] += 1
                observed = first_observed is not None and first_observed <= ordinal
                span = spans.setdefault("no_rate" if observed else "no_price", [i, i])
                span[1] = i
        for reason in ("no_price", "no_rate"):
            if reason in spans:
                first, last = spans[reason]
                self.excluded.append(
                    Exclusion(
                        asset.asset_id,
                        reason,
                        date.fromordinal(self.start_ordinal + first),
                        date.fromordinal(self.start_ordinal + last),
                    )
                )

    def _quantities_of_days(
        self, days: DaySeries, currency: str, from_ordinal: int
    ) -> tuple[list[Decimal], dict[int, Decimal]]:
        """``_quantities`` from day moves: the same figures, with C-level passes (held per
        trade day by accumulate, per range day by repeat spans) and one loop over the days'
        flows."""
        n, start = self.n, self.start_ordinal
        ordinals = days.ordinals
        k_end = bisect_left(ordinals, start + n)  # days after the range are not seen
        flows = self.flows.setdefault(normalize_currency(currency), {})
        get = flows.get
        k_from = bisect_left(ordinals, from_ordinal, 0, k_end)
        left_out = dict(zip(ordinals[:k_from], days.flows[:k_from], strict=True))
        if flows:
            for ordinal, flow in zip(ordinals[k_from:k_end], days.flows[k_from:k_end], strict=True):
                flows[ordinal] = get(ordinal, _ZERO) + flow  # other assets share it
        else:
            flows.update(zip(ordinals[k_from:k_end], days.flows[k_from:k_end], strict=True))
        held = list(accumulate(days.quantities[:k_end]))
        k_start = bisect_left(ordinals, start)
        before = held[k_start - 1] if k_start else _ZERO
        offsets = [o - start for o in ordinals[k_start:k_end]]
        if not offsets:
            return [before] * n, left_out
        spans = map(sub, [*offsets[1:], n], offsets)
        quantities = list(
            chain(repeat(before, offsets[0]), *map(repeat, held[k_start:k_end], spans))
        )
        return quantities, left_out

    def _quantities(
        self, asset: HistoryAsset, from_ordinal: int
    ) -> tuple[list[Decimal], dict[int, Decimal]]:
        """Quantity at the end of each day of the range; records each day's net flow (in the
        trade currency) from ``from_ordinal`` on, and returns the flows of the days before it
        (left out: the asset cannot be valued then), by day ordinal.

        Hot loop (about 0.3 us a trade): trades arrive ordered, so a day's quantity and flow
        are kept in locals and written once when the day changes. Days are ordinals (ints):
        no date object per trade, and cheap dict keys.
        """
        if asset.days is not None:
            return self._quantities_of_days(asset.days, asset.currency, from_ordinal)
        n, start_ordinal = self.n, self.start_ordinal
        end_ordinal = start_ordinal + n
        flows = self.flows.setdefault(normalize_currency(asset.currency), {})
        left_out: dict[int, Decimal] = {}
        quantities: list[Decimal] = []
        held = day_flow = _ZERO
        # Today's units per unit of the trade's day (corporate actions); None when 1.
        periods = [(u.toordinal(), f) for u, f in current_units(asset.actions)]
        factor: Decimal | None = None
        if periods:
            factor = periods[0][1]
        day = 0  # ordinal of the day being summed; 0 before the first trade (ordinals are >= 1)
        # Trades often share a day (several orders filled at once, date-only imports); the
        # ordinal of the previous day is reused then (an equal day in another object only
        # costs a recomputation).
        prev_day: date | None = None
        ordinal = 0
        for trade in order_trades(asset.trades):
            if trade.day is not prev_day:
                prev_day = trade.day
                ordinal = prev_day.toordinal()
            if ordinal != day:
                if day >= from_ordinal:
                    flows[day] = flows.get(day, _ZERO) + day_flow  # other assets share it
                elif day:
                    left_out[day] = day_flow
                if ordinal >= end_ordinal:
                    day = 0
                    break  # after the range: neither its quantity nor its flow is seen
                idx = ordinal - start_ordinal
                if idx > len(quantities):
                    quantities.extend([held] * (idx - len(quantities)))
                day, day_flow = ordinal, _ZERO
                if periods:
                    while periods and ordinal >= periods[0][0]:
                        periods.pop(0)
                    factor = periods[0][1] if periods else None
            q = trade.quantity
            if trade.kind == "buy":
                held += q if factor is None else q * factor
                day_flow += q * trade.price_per_unit + trade.fee
            else:
                held -= q if factor is None else q * factor
                day_flow += trade.fee - q * trade.price_per_unit
        if day >= from_ordinal:
            flows[day] = flows.get(day, _ZERO) + day_flow
        elif day:
            left_out[day] = day_flow
        quantities.extend([held] * (n - len(quantities)))
        return quantities, left_out

    def values_in(self, days: list[date]) -> list[Decimal]:
        total = [_ZERO] * self.n
        for ccy, acc in self.local_values.items():
            if ccy == self.base:
                total = list(map(add, total, acc))
                continue
            # Every day an asset adds a value to `acc` has a rate (valuable_from), so a
            # missing rate (factor 0) only meets days where `acc` is 0.
            rates = self.rates.rates_on(ccy, self.base, days)
            factors = [_ZERO if r is None else r for r in rates]
            total = list(map(add, total, map(mul, acc, factors)))
        return total

    def flows_in(self) -> tuple[Decimal, list[Decimal]]:
        """Flows converted at their own dates: the sum before the range and one per day."""
        base, rates = self.base, self.rates
        opening = _ZERO
        per_day = [_ZERO] * self.n
        for ccy, by_day in self.flows.items():
            # Only flows of days an asset can be valued are kept, so a rate exists.
            rate_of = None if ccy == base else _rates_by_ordinal(rates, ccy, base, by_day)
            for ordinal, local in by_day.items():
                converted = local if rate_of is None else local * rate_of[ordinal]
                idx = ordinal - self.start_ordinal
                if idx < 0:
                    opening += converted
                else:
                    per_day[idx] += converted
        return opening, per_day


def _rates_by_ordinal(
    rates: RateTable, ccy: str, base: str, ordinals: Iterable[int]
) -> dict[int, Decimal]:
    """The rate ``ccy`` -> ``base`` of each day ordinal, as ``rate_on`` gives it (one
    ``rates_on`` pass, not a lookup and quote per day). A day without a rate raises
    ``MissingRateError`` as ``rate_on`` would."""
    ordinals = list(ordinals)
    days = list(map(date.fromordinal, ordinals))
    found: dict[int, Decimal] = {}
    for ordinal, on, rate in zip(ordinals, days, rates.rates_on(ccy, base, days), strict=True):
        found[ordinal] = rate if rate is not None else rates.rate_on(ccy, base, on).rate
    return found


def _held_before_days(days: DaySeries, ordinal: int) -> Decimal:
    """Quantity held at the end of the day before ``ordinal``, from day moves."""
    k = bisect_left(days.ordinals, ordinal)
    return sum(days.quantities[:k], _ZERO)


def _held_before(
    trades: Sequence[Trade], ordinal: int, actions: Sequence[CorporateAction] = ()
) -> Decimal:
    """Quantity held at the end of the day before ``ordinal`` (in today's units when there
    are corporate actions: ``HistoryAsset``)."""
    held = _ZERO
    periods = current_units(actions)
    for trade in trades:
        if trade.day.toordinal() < ordinal:
            q = trade.quantity if not periods else trade.quantity * factor_on(trade.day, periods)
            held += q if trade.kind == "buy" else -q
    return held


def _daily_closes(series: PriceSeries, start_ordinal: int, n: int) -> tuple[list[Decimal], int]:
    """Close in force on each day of the range and the first priced index.

    Built with C-level repeat/chain passes: each close is repeated for the days until the
    next one, so a 10-year daily series costs microseconds, not a Python loop per day.
    """
    obs = series.dates
    start, end = date.fromordinal(start_ordinal), date.fromordinal(start_ordinal + n - 1)
    lo = max(bisect_right(obs, start) - 1, 0)
    hi = bisect_right(obs, end)
    if lo >= hi:
        return [_ZERO] * n, n
    # A close from before the range is in force from day 0.
    first_priced = max(obs[lo].toordinal() - start_ordinal, 0)
    last_offset = obs[hi - 1].toordinal() - start_ordinal if hi - lo > 1 else first_priced
    window = series.closes[lo:hi]
    if last_offset - first_priced == hi - lo - 1:
        # One close a day without gaps (crypto, FX, metals), seen from its first and last
        # dates alone (they strictly ascend): no offsets, no per-day repeat objects.
        tail = n - 1 - last_offset
        return [_ZERO] * first_priced + list(window) + [window[-1]] * tail, first_priced
    offsets = list(map(sub, map(date.toordinal, obs[lo:hi]), repeat(start_ordinal)))
    offsets[0] = first_priced
    spans = map(sub, [*offsets[1:], n], offsets)
    closes = list(chain(repeat(_ZERO, first_priced), *map(repeat, window, spans)))
    return closes, first_priced
