"""Currency conversion by date.

A ``RateTable`` holds daily exchange rates and answers "how many ``to`` for one ``from`` on
this date", using the last rate published on or before the date. A pair is found directly,
through its inverse, or through one pivot currency (USD, then EUR, then TRY). A missing rate
is an error (``MissingRateError``), never a silent 1.

Rates a user entered by hand (``overrides``) win over published ones of the same pair and
day in either orientation; otherwise they are rates like any other: inverted, crossed
through a pivot and carried forward to later days until a newer rate exists.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from itertools import pairwise, repeat
from operator import is_

from portfolio_tracker.engine.money import ENGINE_CONTEXT, normalize_currency
from portfolio_tracker.engine.prices import PriceSeries

__all__ = [
    "PIVOT_CURRENCIES",
    "MissingRateError",
    "RateQuote",
    "RateRow",
    "RateTable",
    "series_in_currency",
]

PIVOT_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "TRY")
_ONE = Decimal(1)


class MissingRateError(LookupError):
    """No rate on or before ``on`` converts ``from_ccy`` into ``to_ccy``."""

    def __init__(self, from_ccy: str, to_ccy: str, on: date) -> None:
        super().__init__(f"no exchange rate {from_ccy}->{to_ccy} on or before {on.isoformat()}")
        self.from_ccy = from_ccy
        self.to_ccy = to_ccy
        self.on = on


@dataclass(frozen=True, slots=True)
class RateRow:
    """One published rate: 1 ``base`` = ``rate`` ``quote`` on ``on``."""

    on: date
    base: str
    quote: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class RateQuote:
    """A rate that applies on a date and the date of its (oldest) source observation.

    ``as_of`` is the publication date of the rate used; for a cross rate it is the older
    of the two legs, so staleness is never understated. ``via`` names the pivot currency
    of a cross rate (None for a direct, inverse or identity rate).
    """

    rate: Decimal
    as_of: date
    via: str | None = None

    def staleness_days(self, on: date) -> int:
        return (on - self.as_of).days


class _PairSeries:
    """Sorted dates and rates for one ordered pair (from -> to).

    A rate derived by inversion is kept as the published rate and divided (``1 / rate`` at
    80 digits) the first time the pair is read: most pairs are read in one orientation only.
    """

    __slots__ = ("_inverted", "_rates", "_stored", "dates")

    def __init__(
        self, dates: tuple[date, ...], stored: tuple[Decimal, ...], inverted: tuple[bool, ...]
    ) -> None:
        self.dates = dates
        self._stored, self._inverted = stored, inverted
        self._rates: tuple[Decimal, ...] | None = None

    @property
    def rates(self) -> tuple[Decimal, ...]:
        if self._rates is None:
            if any(self._inverted):
                with localcontext(ENGINE_CONTEXT):
                    self._rates = tuple(
                        _ONE / r if inv else r
                        for r, inv in zip(self._stored, self._inverted, strict=True)
                    )
            else:
                self._rates = self._stored
        return self._rates

    def index_on(self, on: date) -> int:
        """Index of the last observation on or before ``on``; -1 when there is none."""
        return bisect_right(self.dates, on) - 1


class RateTable:
    """Exchange rates by date for any number of currency pairs.

    Build it once per request from rows (``RateRow`` or ``(date, base, quote, rate)``
    tuples); lookups are O(log n) (``rate_on``) or O(n + m) for a sorted run of dates
    (``rate_series``). Both orientations of every pair are stored, so the inverse is a
    lookup, not a division per call. When a pair is published in both orientations on the
    same date, the row as published in that orientation wins over the inverted one.
    ``overrides`` (a user's manual rates) win over ``rows`` on their pair and date, in both
    orientations; among themselves the same orientation rule applies.
    """

    __slots__ = ("_pairs",)

    def __init__(
        self,
        rows: Iterable[RateRow | tuple[date, str, str, Decimal]],
        overrides: Iterable[RateRow | tuple[date, str, str, Decimal]] = (),
    ) -> None:
        # (from, to) -> {date: (rate, rank)}; rank = (is_override, is_direct): a higher rank
        # replaces a lower one, an equal rank an earlier row. A manual rate beats a published
        # one; then a row in this orientation beats one derived by inversion; among equals the
        # later row wins, as a re-imported rate corrects an earlier one. An inverse is staged
        # as the published rate (rank is_direct False) and divided when first read
        # (_PairSeries). One loop, codes normalised once each: 10 years of daily rates load
        # in a few ms.
        staging: dict[tuple[str, str], dict[date, tuple[Decimal, tuple[bool, bool]]]] = {}
        codes: dict[str, str] = {}

        def code(raw: str) -> str:
            found = codes.get(raw) if type(raw) is str else None
            if found is None:
                found = normalize_currency(raw)
                if type(raw) is str:
                    codes[raw] = found
            return found

        # Rows come grouped by pair (one query per base currency): the previous row's codes
        # and pair tables are reused while the raw codes repeat.
        last: tuple[object, object] | None = None
        base = quote = ""
        forward: dict[date, tuple[Decimal, tuple[bool, bool]]] = {}
        backward: dict[date, tuple[Decimal, tuple[bool, bool]]] = {}
        with localcontext(ENGINE_CONTEXT):
            for override, source in ((False, rows), (True, overrides)):
                direct, inverse = (override, True), (override, False)
                for row in source:
                    on, raw_base, raw_quote, rate = (
                        (row.on, row.base, row.quote, row.rate) if isinstance(row, RateRow) else row
                    )
                    if last is None or raw_base != last[0] or raw_quote != last[1]:
                        last = None
                        base, quote = code(raw_base), code(raw_quote)
                        if base != quote:
                            forward = staging.setdefault((base, quote), {})
                            backward = staging.setdefault((quote, base), {})
                        last = (raw_base, raw_quote)
                    if not rate.is_finite() or rate <= 0:
                        raise ValueError(f"rate {base}/{quote} on {on} must be positive: {rate}")
                    if base == quote:
                        continue
                    existing = forward.get(on)
                    if existing is None or direct >= existing[1]:
                        forward[on] = (rate, direct)
                    existing = backward.get(on)
                    if existing is None or inverse >= existing[1]:
                        backward[on] = (rate, inverse)
        self._pairs: dict[tuple[str, str], _PairSeries] = {}
        for key, by_date in staging.items():
            if not by_date:
                continue
            days = sorted(by_date)
            staged = list(map(by_date.__getitem__, days))
            self._pairs[key] = _PairSeries(
                tuple(days),
                tuple(rate for rate, _ in staged),
                tuple(not rank[1] for _, rank in staged),
            )

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(c for pair in self._pairs for c in pair)

    def rate_on(self, from_ccy: str, to_ccy: str, on: date) -> RateQuote:
        """Rate to multiply an amount in ``from_ccy`` by to get ``to_ccy``, valid on ``on``.

        Raises ``MissingRateError`` when neither the pair nor any pivot route has a rate on
        or before ``on``. Same currency gives exactly 1 with ``as_of == on``.
        """
        src, dst = normalize_currency(from_ccy), normalize_currency(to_ccy)
        if src == dst:
            return RateQuote(_ONE, on)
        quote = self._direct(src, dst, on)
        if quote is not None:
            return quote
        for pivot in PIVOT_CURRENCIES:
            if pivot in (src, dst):
                continue
            first, second = self._direct(src, pivot, on), self._direct(pivot, dst, on)
            if first is not None and second is not None:
                with localcontext(ENGINE_CONTEXT):
                    rate = first.rate * second.rate
                return RateQuote(rate, min(first.as_of, second.as_of), pivot)
        raise MissingRateError(src, dst, on)

    def first_date(self, from_ccy: str, to_ccy: str) -> date | None:
        """The earliest date ``rate_on(from_ccy, to_ccy, date)`` answers; None if never.

        Rates are carried forward, so every later date answers too. Same currency gives
        ``date.min``.
        """
        src, dst = normalize_currency(from_ccy), normalize_currency(to_ccy)
        if src == dst:
            return date.min
        candidates = []
        direct = self._pairs.get((src, dst))
        if direct is not None:
            candidates.append(direct.dates[0])
        for pivot in PIVOT_CURRENCIES:
            first, second = self._pairs.get((src, pivot)), self._pairs.get((pivot, dst))
            if pivot not in (src, dst) and first is not None and second is not None:
                candidates.append(max(first.dates[0], second.dates[0]))
        return min(candidates, default=None)

    def convert(self, amount: Decimal, from_ccy: str, to_ccy: str, on: date) -> Decimal:
        """``amount`` in ``from_ccy`` expressed in ``to_ccy`` at the rate valid on ``on``."""
        quote = self.rate_on(from_ccy, to_ccy, on)
        with localcontext(ENGINE_CONTEXT):
            return amount * quote.rate

    def rate_series(
        self, from_ccy: str, to_ccy: str, dates: Sequence[date]
    ) -> list[RateQuote | None]:
        """Rates for ascending ``dates`` in one pass; None where no rate exists yet.

        The route (direct/inverse or which pivot) is chosen per date exactly as ``rate_on``
        chooses it, so ``rate_series(a, b, ds)[i]`` equals ``rate_on(a, b, ds[i])`` whenever
        the latter does not raise. Dates must be sorted ascending (ValueError otherwise).
        """
        src, dst = normalize_currency(from_ccy), normalize_currency(to_ccy)
        for earlier, later in pairwise(dates):
            if later < earlier:
                raise ValueError("rate_series needs dates in ascending order")
        if src == dst:
            return [RateQuote(_ONE, d) for d in dates]
        routes: list[tuple[str | None, list[RateQuote | None], list[RateQuote | None]]] = []
        direct = self._walk(src, dst, dates)
        ones: list[RateQuote | None] = [RateQuote(_ONE, d) for d in dates]
        routes.append((None, direct, ones))
        for pivot in PIVOT_CURRENCIES:
            if pivot in (src, dst) or (src, pivot) not in self._pairs:
                continue
            if (pivot, dst) in self._pairs:
                routes.append((pivot, self._walk(src, pivot, dates), self._walk(pivot, dst, dates)))
        result: list[RateQuote | None] = []
        with localcontext(ENGINE_CONTEXT):
            for i in range(len(dates)):
                result.append(_first_route(routes, i))
        return result

    def rates_on(self, from_ccy: str, to_ccy: str, dates: Sequence[date]) -> list[Decimal | None]:
        """The rate of ``rate_on(from_ccy, to_ccy, d)`` for each of ``dates`` (any order),
        None where that raises ``MissingRateError``: the same route (the pair, then the first
        pivot with both legs) and the same product per date as ``rate_on`` and
        ``rate_series``, without a ``RateQuote`` per date. For the figures of a daily history
        or of a series converted day by day; one C-level bisection per date and leg.
        """
        src, dst = normalize_currency(from_ccy), normalize_currency(to_ccy)
        if src == dst:
            return [_ONE] * len(dates)
        out = self._rates_of(src, dst, dates)
        # An identity test: `None in out` would compare each Decimal with None (slow).
        if not any(map(is_, out, repeat(None))):
            return out
        legs = [
            (self._rates_of(src, pivot, dates), self._rates_of(pivot, dst, dates))
            for pivot in PIVOT_CURRENCIES
            if pivot not in (src, dst)
            and (src, pivot) in self._pairs
            and (pivot, dst) in self._pairs
        ]
        if legs:
            with localcontext(ENGINE_CONTEXT):
                for i, rate in enumerate(out):
                    if rate is not None:
                        continue
                    for first, second in legs:
                        a, b = first[i], second[i]
                        if a is not None and b is not None:
                            out[i] = a * b
                            break
        return out

    def _rates_of(self, src: str, dst: str, dates: Sequence[date]) -> list[Decimal | None]:
        """The pair's last rate on or before each date (None before its first)."""
        series = self._pairs.get((src, dst))
        if series is None:
            return [None] * len(dates)
        obs_rates = series.rates
        at = map(bisect_right, repeat(series.dates), dates)
        return [obs_rates[k - 1] if k else None for k in at]

    def _direct(self, src: str, dst: str, on: date) -> RateQuote | None:
        series = self._pairs.get((src, dst))
        if series is None:
            return None
        i = series.index_on(on)
        return None if i < 0 else RateQuote(series.rates[i], series.dates[i])

    def _walk(self, src: str, dst: str, dates: Sequence[date]) -> list[RateQuote | None]:
        """Last-on-or-before lookups for sorted ``dates`` with one moving pointer."""
        series = self._pairs.get((src, dst))
        if series is None:
            return [None] * len(dates)
        out: list[RateQuote | None] = []
        obs_dates, obs_rates = series.dates, series.rates
        n, j = len(obs_dates), -1
        current: RateQuote | None = None
        for d in dates:
            moved = False
            while j + 1 < n and obs_dates[j + 1] <= d:
                j += 1
                moved = True
            if moved:
                current = RateQuote(obs_rates[j], obs_dates[j])
            out.append(current)
        return out


def _first_route(
    routes: list[tuple[str | None, list[RateQuote | None], list[RateQuote | None]]], i: int
) -> RateQuote | None:
    for pivot, first_legs, second_legs in routes:
        first, second = first_legs[i], second_legs[i]
        if first is None or second is None:
            continue
        if pivot is None:
            return first
        return RateQuote(first.rate * second.rate, min(first.as_of, second.as_of), pivot)
    return None


def series_in_currency(series: PriceSeries, currency: str, rates: RateTable) -> PriceSeries:
    """``series`` with every close converted into ``currency`` at the rate of its own date.

    A close whose date has no rate yet is left out (never converted at 1), so the result may
    be shorter; each close keeps its source. Same currency: the series itself.
    """
    target = normalize_currency(currency)
    if series.currency == target:
        return series
    quotes = rates.rate_series(series.currency, target, series.dates)
    kept: list[int] = []
    closes: list[Decimal] = []
    with localcontext(ENGINE_CONTEXT):
        for i, quote in enumerate(quotes):
            if quote is not None:
                kept.append(i)
                closes.append(series.closes[i] * quote.rate)
    return PriceSeries(
        target,
        tuple(series.dates[i] for i in kept),
        tuple(closes),
        series.name,
        tuple(series.sources[i] for i in kept) if series.sources else (),
    )
