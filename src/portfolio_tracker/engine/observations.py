"""Price observations of an asset, and the day from which it can be valued.

Rules (docs/api-portfolio.md, "Valuation gaps"):

* An asset's price is observed from three sources. On one calendar day the highest-ranked
  observation wins: a manual price, then a feed close, then the price of the user's own
  trade. A day without an observation carries the last earlier one forward; its date
  (``PriceQuote.as_of``) shows how old it is.
* A trade observes its asset's price on its calendar day (``Trade.day``): the price per unit
  of the day's last trade in the order of trades. A trade at price 0 (a gift, a transfer in)
  says nothing about the market and observes nothing.
* An asset can be valued on day ``d`` when it has an observation on or before ``d`` and an
  exchange rate on or before ``d`` from its price series' currency and from its trade
  currency into the base (its flows must convert too). Observations and rates carry forward,
  so this holds from one date on: ``valuable_from``. Before that date the asset is left out
  of the value AND the flows of every day, never valued at 0 (engine.history).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from itertools import compress, islice, repeat
from operator import lt, not_
from typing import NamedTuple, TypeVar, cast

from portfolio_tracker.engine.fx import MissingRateError, RateTable
from portfolio_tracker.engine.lots import Trade
from portfolio_tracker.engine.money import ENGINE_CONTEXT, normalize_currency
from portfolio_tracker.engine.prices import PriceSeries, QuoteSource

__all__ = [
    "SOURCE_RANK",
    "Observation",
    "PriceColumn",
    "observed_columns",
    "observed_series",
    "trade_column",
    "trade_observations",
    "valuable_from",
]

_T = TypeVar("_T")
_tuple_new = tuple.__new__

# Higher wins on the same day.
SOURCE_RANK: dict[QuoteSource, int] = {"trade": 0, "feed": 1, "manual": 2}


class Observation(NamedTuple):
    """One observed per-unit price of an asset on a calendar day (an immutable value).

    A named tuple rather than a slotted dataclass: a portfolio's trades observe about one
    price per trading day (100k over 50 assets); a tuple is built in less than half the time
    and a list of them turns into columns in one C-level ``zip``.
    """

    on: date
    price: Decimal
    currency: str
    source: QuoteSource


def trade_observations(trades: Sequence[Trade], currency: str) -> list[Observation]:
    """One observation per calendar day (``Trade.day``) that has a trade at a price above 0.

    ``trades`` must be in the order of trades (``lots.order_trades``); the day's last such
    trade gives the price. O(trades): cache the result with the trade history.
    """
    ccy, by_day = normalize_currency(currency), _trade_prices(trades)
    rows = zip(by_day, by_day.values(), repeat(ccy), repeat("trade"))
    # tuple.__new__ over zip's rows, all in C: twice as fast as calling Observation per day.
    return cast(list[Observation], list(map(_tuple_new, repeat(Observation), rows)))


def trade_column(trades: Sequence[Trade], currency: str) -> PriceColumn:
    """``trade_observations`` as one column (``PriceColumn.of_observations`` of them): the
    same prices without an object per day, for a cache of what the trades observed (100k
    trades observe ~100k days: as tuples they cost time and, kept alive, garbage-collector
    passes)."""
    ccy, by_day = normalize_currency(currency), _trade_prices(trades)
    return PriceColumn("trade", tuple(by_day), tuple(by_day.values()), ccy)


def _trade_prices(trades: Sequence[Trade]) -> dict[date, Decimal]:
    by_day: dict[date, Decimal] = {}
    for trade in trades:
        if trade.price_per_unit:
            by_day[trade.day] = trade.price_per_unit
    return by_day


def observed_series(
    observations: Iterable[Observation], rates: RateTable, name: str = ""
) -> PriceSeries | None:
    """The asset's price series: on each day its highest-ranked observation (``SOURCE_RANK``;
    among equals the later given wins). None when nothing is observed.

    The series is in the currency of its latest observation; an observation in another
    currency is converted at the rate of its own day, and left out when no rate exists
    (never at 1). ``PriceSeries.sources`` names each close's source.
    """
    chosen: dict[date, Observation] = {}
    for obs in observations:
        held = chosen.get(obs.on)
        if held is None or SOURCE_RANK[obs.source] >= SOURCE_RANK[held.source]:
            chosen[obs.on] = obs
    if not chosen:
        return None
    days = sorted(chosen)
    currency = normalize_currency(chosen[days[-1]].currency)
    kept_days: list[date] = []
    closes: list[Decimal] = []
    sources: list[QuoteSource] = []
    with localcontext(ENGINE_CONTEXT):
        for on in days:
            obs = chosen[on]
            price = obs.price
            if normalize_currency(obs.currency) != currency:
                try:
                    price = price * rates.rate_on(obs.currency, currency, on).rate
                except MissingRateError:
                    continue
            kept_days.append(on)
            closes.append(price)
            sources.append(obs.source)
    return PriceSeries(currency, tuple(kept_days), tuple(closes), name, tuple(sources))


@dataclass(frozen=True, slots=True)
class PriceColumn:
    """Observations of one source in parallel columns, the bulk form of ``Observation``:
    ``prices[i]`` was observed on ``days[i]`` in ``currencies[i]``, or in ``currency`` on
    every day when ``currencies`` is empty. ``observations()`` lists them, in that order.

    ``ascending=True`` promises that ``days`` strictly ascend (a stored series read in day
    order); ``observed_columns`` trusts it instead of checking. Days may otherwise come in
    any order and repeat (the later repeat wins, as in ``observed_series``).
    """

    source: QuoteSource
    days: Sequence[date]
    prices: Sequence[Decimal]
    currency: str = ""
    currencies: Sequence[str] = ()
    ascending: bool = False

    def __post_init__(self) -> None:
        n = len(self.days)
        if len(self.prices) != n or (self.currencies and len(self.currencies) != n):
            raise ValueError("a price column's days, prices and currencies differ in length")

    def __len__(self) -> int:
        return len(self.days)

    def codes(self) -> set[str]:
        """The currency codes of its prices as given (not normalised); empty when it is."""
        if not self.days:
            return set()
        return set(self.currencies) if self.currencies else {self.currency}

    def observations(self) -> list[Observation]:
        """The column as ``Observation``s, in order."""
        currencies = self.currencies or repeat(self.currency)
        return [
            Observation(on, price, ccy, self.source)
            for on, price, ccy in zip(self.days, self.prices, currencies, strict=False)
        ]

    @classmethod
    def of_observations(cls, observations: Sequence[Observation]) -> list[PriceColumn]:
        """``observations`` as columns, one per run of the same source, in order (so that
        ``observed_columns`` of them is ``observed_series`` of the observations)."""
        if not observations:
            return []
        days, prices, currencies, sources = zip(*observations, strict=True)
        n = len(sources)
        if sources.count(sources[0]) == n:  # the usual case: one source
            return [cls._of_run(sources[0], days, prices, currencies)]
        out: list[PriceColumn] = []
        start = 0
        while start < n:
            end = start + 1
            while end < n and sources[end] == sources[start]:
                end += 1
            run = slice(start, end)
            out.append(cls._of_run(sources[start], days[run], prices[run], currencies[run]))
            start = end
        return out

    @classmethod
    def _of_run(
        cls,
        source: QuoteSource,
        days: Sequence[date],
        prices: Sequence[Decimal],
        currencies: Sequence[str],
    ) -> PriceColumn:
        if currencies.count(currencies[0]) == len(currencies):
            return cls(source, days, prices, currencies[0])
        return cls(source, days, prices, "", currencies)


# A merge of a large column with up to this many days of other columns (plus 1/32 of its own
# length) inserts them one by one (bisect); more go through one dict of every day.
_FEW_PATCHES = 32


def observed_columns(
    columns: Sequence[PriceColumn], rates: RateTable, name: str = ""
) -> PriceSeries | None:
    """``observed_series`` of the columns' observations in the given order — the same series
    on every input — without an object per observation.

    Ranks are applied by a stable sort of the columns by ``SOURCE_RANK``, after which the
    last observation of a day wins. Fast paths: one column is the series; a large column
    (a feed) absorbs a few days of the others by bisection, and the days a lower-ranked
    column (the trades) shares with it are skipped (a daily column holds every day between
    its first and last; otherwise one set lookup a day); currencies are normalised once per
    distinct code and only the closes in another currency than the series' are converted
    (``RateTable.rates_on``, equal to ``rate_on`` day by day).
    Anything else (many interleaved days) merges through one dict per field. An invalid
    currency code falls back to ``observed_series`` itself, so that it raises (or not)
    exactly as the definition does.
    """
    ranked = sorted((c for c in columns if len(c)), key=_rank_of)
    if not ranked:
        return None
    try:
        code = {raw: normalize_currency(raw) for c in ranked for raw in c.codes()}
    except ValueError:
        observations = [o for c in columns for o in c.observations()]
        return observed_series(observations, rates, name)
    merged = _patched(ranked, code) or _merged(ranked, code)
    return merged.series(rates, name)


def _rank_of(column: PriceColumn) -> int:
    return SOURCE_RANK[column.source]


def _ascends(days: Sequence[date]) -> bool:
    return all(map(lt, days, islice(days, 1, None)))


class _Merged:
    """Merged days and prices; the sources and (normalised) currencies are kept as one value
    until a day differs from it."""

    __slots__ = ("currencies", "currency", "days", "prices", "source", "sources")

    def __init__(
        self,
        days: Sequence[date],
        prices: Sequence[Decimal],
        source: QuoteSource,
        currency: str,
        sources: list[QuoteSource] | None = None,
        currencies: list[str] | None = None,
    ) -> None:
        self.days, self.prices = days, prices
        self.source, self.currency = source, currency
        self.sources, self.currencies = sources, currencies

    def put(self, on: date, price: Decimal, source: QuoteSource, currency: str) -> None:
        """Set (or insert) the observation of ``on``: ``days`` and ``prices`` are lists."""
        days, prices = cast(list[date], self.days), cast(list[Decimal], self.prices)
        at = bisect_left(days, on)
        if at < len(days) and days[at] == on:
            prices[at] = price
            if self.sources is not None:
                self.sources[at] = source
            elif source != self.source:
                self.sources = [self.source] * len(days)
                self.sources[at] = source
            if self.currencies is not None:
                self.currencies[at] = currency
            elif currency != self.currency:
                self.currencies = [self.currency] * len(days)
                self.currencies[at] = currency
            return
        days.insert(at, on)
        prices.insert(at, price)
        if self.sources is None and source != self.source:
            self.sources = [self.source] * (len(days) - 1)
        if self.sources is not None:
            self.sources.insert(at, source)
        if self.currencies is None and currency != self.currency:
            self.currencies = [self.currency] * (len(days) - 1)
        if self.currencies is not None:
            self.currencies.insert(at, currency)

    def series(self, rates: RateTable, name: str) -> PriceSeries:
        """The series in the currency of the last day; other closes converted at their own
        day's rate, dropped without one (``observed_series``)."""
        days, prices, currencies = self.days, self.prices, self.currencies
        target = currencies[-1] if currencies is not None else self.currency
        dropped: set[int] = set()
        if currencies is not None:
            foreign: dict[str, list[int]] = {}
            for i, ccy in enumerate(currencies):
                if ccy != target:
                    foreign.setdefault(ccy, []).append(i)
            if foreign:
                prices = list(prices)
                with localcontext(ENGINE_CONTEXT):
                    for ccy, at in foreign.items():
                        found = rates.rates_on(ccy, target, [days[i] for i in at])
                        for i, rate in zip(at, found, strict=True):
                            if rate is None:
                                dropped.add(i)
                            else:
                                prices[i] = prices[i] * rate
        n = len(days)
        sources: Sequence[QuoteSource] = (
            self.sources if self.sources is not None else (self.source,) * n
        )
        if dropped:
            kept = [i not in dropped for i in range(n)]
            days, prices = list(compress(days, kept)), list(compress(prices, kept))
            sources = list(compress(sources, kept))
        return PriceSeries.unchecked(target, _tuple(days), _tuple(prices), name, _tuple(sources))


def _tuple(values: Sequence[_T]) -> tuple[_T, ...]:
    return values if isinstance(values, tuple) else tuple(values)


def _patched(ranked: list[PriceColumn], code: dict[str, str]) -> _Merged | None:
    """The largest column with the few days of the others put in (None when that does not
    apply: its days do not ascend, or too many days would be put)."""
    at = max(range(len(ranked)), key=lambda i: len(ranked[i]))
    base = ranked[at]
    if not (base.ascending or _ascends(base.days)):
        return None
    budget = _FEW_PATCHES + len(base) // 32
    puts: list[tuple[PriceColumn, Iterable[int]]] = []
    first, last = base.days[0], base.days[-1]
    # A base of consecutive days (a daily feed) holds every day from its first to its last.
    daily = (last - first).days == len(base) - 1
    covered: set[date] | None = None
    for column in ranked[:at]:
        # Ranked below the base (or equal and earlier): only its days the base lacks count.
        if daily:
            if min(column.days) >= first and max(column.days) <= last:
                continue
            missing = [i for i, on in enumerate(column.days) if on < first or on > last]
        else:
            if covered is None:
                covered = set(base.days)
            missing = list(
                compress(range(len(column)), map(not_, map(covered.__contains__, column.days)))
            )
        if missing:
            puts.append((column, missing))
            budget -= len(missing)
    for column in ranked[at + 1 :]:
        puts.append((column, range(len(column))))
        budget -= len(column)
    if budget < 0:
        return None
    if base.currencies:
        merged = _Merged(
            base.days, base.prices, base.source, "", None, [code[c] for c in base.currencies]
        )
    else:
        merged = _Merged(base.days, base.prices, base.source, code[base.currency])
    if not puts:
        return merged
    merged.days, merged.prices = list(base.days), list(base.prices)
    if merged.currencies is not None:
        merged.currencies = list(merged.currencies)
    for column, indices in puts:
        days, prices, currencies = column.days, column.prices, column.currencies
        for i in indices:
            ccy = code[currencies[i]] if currencies else code[column.currency]
            merged.put(days[i], prices[i], column.source, ccy)
    return merged


def _merged(ranked: list[PriceColumn], code: dict[str, str]) -> _Merged:
    """Every column through one dict per field: the last observation of a day wins."""
    price: dict[date, Decimal] = {}
    for column in ranked:
        price.update(zip(column.days, column.prices, strict=True))
    days = sorted(price)
    prices = list(map(price.__getitem__, days))
    first = ranked[0]
    merged = _Merged(days, prices, first.source, "")
    if any(c.source != first.source for c in ranked):
        source: dict[date, QuoteSource] = {}
        for column in ranked:
            source.update(zip(column.days, repeat(column.source), strict=False))
        merged.sources = list(map(source.__getitem__, days))
    uniform = {code[c] for column in ranked for c in column.codes()}
    if len(uniform) == 1:
        merged.currency = uniform.pop()
    else:
        currency: dict[date, str] = {}
        for column in ranked:
            if column.currencies:
                currency.update(
                    zip(column.days, map(code.__getitem__, column.currencies), strict=True)
                )
            else:
                currency.update(zip(column.days, repeat(code[column.currency]), strict=False))
        merged.currencies = list(map(currency.__getitem__, days))
    return merged


def valuable_from(
    series: PriceSeries | None, trade_currency: str, base: str, rates: RateTable
) -> date | None:
    """The first day the asset can be valued in ``base`` (see module doc); None if never."""
    if series is None or not series.dates:
        return None
    first_price_rate = rates.first_date(series.currency, base)
    first_flow_rate = rates.first_date(trade_currency, base)
    if first_price_rate is None or first_flow_rate is None:
        return None
    return max(series.dates[0], first_price_rate, first_flow_rate)
