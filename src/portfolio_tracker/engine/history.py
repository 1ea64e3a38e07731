"""Portfolio value and net invested over a date range, one pass per asset.

Conventions:

* A point's ``market_value`` is the sum over assets of (quantity held at the END of that
  calendar day) x (last close on or before the day) x (rate of the close's currency into the
  base on the day). Assets holding quantity > 0 without a close or a rate on that day add
  nothing and are counted in ``unpriced_count``.
* An external flow is money moving into the holdings from outside: a buy adds
  ``quantity x price + fee``, a sell subtracts ``quantity x price - fee`` (its proceeds).
  Each flow is converted at the rate of its trade's calendar day (``Trade.day``). A missing rate
  for a flow raises ``MissingRateError``: net invested would otherwise be wrong.
* ``net_invested`` is the cumulative flow from the first trade ever up to and including the
  point's day (so it includes flows before ``start``). ``net_flow`` is the flow of the
  point's period: the day itself for daily points; for weekly/monthly points the days of
  the period that lie inside the range.
* Weekly points are ISO weeks (Monday-Sunday) and monthly points calendar months, each
  dated on the last day of the period that lies in the range (so the final point is
  ``end`` itself).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from itertools import accumulate, chain, repeat
from operator import add, mul, sub
from typing import Literal

from portfolio_tracker.engine.fx import RateQuote, RateTable
from portfolio_tracker.engine.lots import Trade, order_trades
from portfolio_tracker.engine.money import ENGINE_CONTEXT, normalize_currency
from portfolio_tracker.engine.prices import PriceSeries

__all__ = [
    "HistoryAsset",
    "HistoryPoint",
    "Interval",
    "period_end_indices",
    "sample_points",
    "value_history",
]

Interval = Literal["day", "week", "month"]
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class HistoryAsset:
    """One asset's trades (any order; put in the order of trades here) and closes.

    ``currency`` is the currency of the trades; ``prices`` carries its own currency, which
    may differ (a TRY-bought gold coin valued from a USD spot series).
    """

    asset_id: str
    currency: str
    trades: Sequence[Trade]
    prices: PriceSeries


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    on: date
    market_value: Decimal
    net_invested: Decimal
    net_flow: Decimal
    unpriced_count: int


def value_history(
    assets: Sequence[HistoryAsset],
    rates: RateTable,
    base_currency: str,
    start: date,
    end: date,
    interval: Interval = "day",
) -> tuple[HistoryPoint, ...]:
    """Points from ``start`` to ``end`` inclusive in ``base_currency`` (see module doc).

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
        book = _Book(n, start.toordinal())
        for asset in assets:
            book.add_asset(asset)
        values = book.values_in(base, rates, days)
        opening, flows = book.flows_in(base, rates, start)
        invested = list(accumulate(flows, add, initial=opening))[1:]
    daily = tuple(
        HistoryPoint(days[i], values[i], invested[i], flows[i], book.unpriced[i]) for i in range(n)
    )
    return daily if interval == "day" else sample_points(daily, interval)


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

    def __init__(self, n: int, start_ordinal: int) -> None:
        self.n = n
        self.start_ordinal = start_ordinal
        self.unpriced = [0] * n
        # price currency -> per-day sum of quantity x close, in that currency
        self.local_values: dict[str, list[Decimal]] = {}
        # price currency -> (quantity per day, first priced day index) of each asset
        self.holdings: dict[str, list[tuple[list[Decimal], int]]] = {}
        # trade currency -> {flow day ordinal: local flow}
        self.flows: dict[str, dict[int, Decimal]] = {}

    def add_asset(self, asset: HistoryAsset) -> None:
        quantities = self._quantities(asset)
        closes, first_priced = _daily_closes(asset.prices, self.start_ordinal, self.n)
        for i in range(min(first_priced, self.n)):
            if quantities[i]:
                self.unpriced[i] += 1
        if first_priced >= self.n:
            return
        ccy = asset.prices.currency
        acc = self.local_values.setdefault(ccy, [_ZERO] * self.n)
        values = map(mul, quantities[first_priced:], closes[first_priced:])
        acc[first_priced:] = map(add, acc[first_priced:], values)
        self.holdings.setdefault(ccy, []).append((quantities, first_priced))

    def _quantities(self, asset: HistoryAsset) -> list[Decimal]:
        """Quantity at the end of each day of the range; records each day's net flow.

        Hot loop (about 0.3 us a trade): trades arrive ordered, so a day's quantity and flow
        are kept in locals and written once when the day changes. Days are ordinals (ints):
        no date object per trade, and cheap dict keys.
        """
        n, start_ordinal = self.n, self.start_ordinal
        end_ordinal = start_ordinal + n
        flows = self.flows.setdefault(normalize_currency(asset.currency), {})
        quantities: list[Decimal] = []
        held = day_flow = _ZERO
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
                if day:
                    flows[day] = flows.get(day, _ZERO) + day_flow  # other assets share it
                if ordinal >= end_ordinal:
                    day = 0
                    break  # after the range: neither its quantity nor its flow is seen
                idx = ordinal - start_ordinal
                if idx > len(quantities):
                    quantities.extend([held] * (idx - len(quantities)))
                day, day_flow = ordinal, _ZERO
            q = trade.quantity
            if trade.kind == "buy":
                held += q
                day_flow += q * trade.price_per_unit + trade.fee
            else:
                held -= q
                day_flow += trade.fee - q * trade.price_per_unit
        if day:
            flows[day] = flows.get(day, _ZERO) + day_flow
        quantities.extend([held] * (n - len(quantities)))
        return quantities

    def values_in(self, base: str, rates: RateTable, days: list[date]) -> list[Decimal]:
        total = [_ZERO] * self.n
        for ccy, acc in self.local_values.items():
            if ccy == base:
                total = list(map(add, total, acc))
                continue
            quotes = rates.rate_series(ccy, base, days)
            factors = [_ZERO if q is None else q.rate for q in quotes]
            total = list(map(add, total, map(mul, acc, factors)))
            self._count_unconverted(ccy, quotes)
        return total

    def _count_unconverted(self, ccy: str, quotes: list[RateQuote | None]) -> None:
        missing = [i for i, q in enumerate(quotes) if q is None]
        for quantities, first_priced in self.holdings.get(ccy, []):
            for i in missing:
                if i >= first_priced and quantities[i]:
                    self.unpriced[i] += 1

    def flows_in(self, base: str, rates: RateTable, start: date) -> tuple[Decimal, list[Decimal]]:
        """Flows converted at their own dates: the sum before ``start`` and one per day."""
        opening = _ZERO
        per_day = [_ZERO] * self.n
        for ccy, by_day in self.flows.items():
            for ordinal, local in by_day.items():
                if ccy == base:
                    converted = local
                else:
                    # rate_on raises MissingRateError: a flow without a rate stops the history.
                    on = date.fromordinal(ordinal)
                    converted = local * rates.rate_on(ccy, base, on).rate
                idx = ordinal - self.start_ordinal
                if idx < 0:
                    opening += converted
                else:
                    per_day[idx] += converted
        return opening, per_day


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
    offsets = list(map(sub, map(date.toordinal, obs[lo:hi]), repeat(start_ordinal)))
    first_priced = max(offsets[0], 0)
    offsets[0] = first_priced  # a close from before the range is in force from day 0
    window = series.closes[lo:hi]
    if offsets[-1] - first_priced == len(offsets) - 1:
        # One close a day without gaps (crypto, FX, metals): no per-day repeat objects.
        tail = n - 1 - offsets[-1]
        return [_ZERO] * first_priced + list(window) + [window[-1]] * tail, first_priced
    spans = map(sub, [*offsets[1:], n], offsets)
    closes = list(chain(repeat(_ZERO, first_priced), *map(repeat, window, spans)))
    return closes, first_priced
