"""Daily price history of one instrument, read as "the last close on or before a date"."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import islice
from operator import lt
from typing import Literal

from portfolio_tracker.engine.money import normalize_currency

__all__ = ["MissingPriceError", "PriceQuote", "PriceSeries", "QuoteSource"]

# Where an observed price came from: a feed close, a price the user entered by hand, or the
# price of the user's own trade (engine.observations ranks them on one day).
QuoteSource = Literal["feed", "manual", "trade"]


class MissingPriceError(LookupError):
    """No price on or before ``on`` for the series ``name``."""

    def __init__(self, name: str, on: date) -> None:
        super().__init__(f"no price for {name} on or before {on.isoformat()}")
        self.name = name
        self.on = on


@dataclass(frozen=True, slots=True)
class PriceQuote:
    """A per-unit price, the date it was observed, its currency and (when known) source."""

    price: Decimal
    as_of: date
    currency: str
    source: QuoteSource | None = None

    def staleness_days(self, on: date) -> int:
        """Whole days between the observation and ``on`` (0 = priced that day)."""
        return (on - self.as_of).days


@dataclass(frozen=True, slots=True)
class PriceSeries:
    """Closes of one instrument sorted by date, one per date, all in ``currency``.

    Build it with ``PriceSeries.from_points`` (which sorts and keeps the last close given
    for a repeated date); the direct constructor checks that dates strictly ascend.
    ``sources``, when given, names the source of each close (``PriceQuote.source``).
    """

    currency: str
    dates: tuple[date, ...]
    closes: tuple[Decimal, ...]
    name: str = ""
    sources: tuple[QuoteSource, ...] = ()

    def __post_init__(self) -> None:
        if len(self.dates) != len(self.closes):
            raise ValueError("dates and closes differ in length")
        if self.sources and len(self.sources) != len(self.dates):
            raise ValueError("dates and sources differ in length")
        # One C-level pass (a 10-year daily series is checked in about 0.1 ms).
        if not all(map(lt, self.dates, islice(self.dates, 1, None))):
            raise ValueError("price dates must strictly ascend")

    @classmethod
    def unchecked(
        cls,
        currency: str,
        dates: tuple[date, ...],
        closes: tuple[Decimal, ...],
        name: str = "",
        sources: tuple[QuoteSource, ...] = (),
    ) -> PriceSeries:
        """The series of the constructor WITHOUT its checks, for callers that built
        ``dates`` strictly ascending and the tuples of equal lengths themselves (the merges
        of ``engine.observations``): O(1) instead of a pass over the dates. ``currency``
        must already be normalised (``money.normalize_currency``)."""
        series = object.__new__(cls)
        for field, value in (
            ("currency", currency),
            ("dates", dates),
            ("closes", closes),
            ("name", name),
            ("sources", sources),
        ):
            object.__setattr__(series, field, value)
        return series

    @classmethod
    def from_points(
        cls, points: Iterable[tuple[date, Decimal]], currency: str, name: str = ""
    ) -> PriceSeries:
        by_date: dict[date, Decimal] = {}
        for on, close in points:
            if not close.is_finite() or close < 0:
                raise ValueError(f"price on {on} must be a finite non-negative number")
            by_date[on] = close
        ordered = sorted(by_date.items())
        return cls(
            currency=normalize_currency(currency),
            dates=tuple(d for d, _ in ordered),
            closes=tuple(c for _, c in ordered),
            name=name,
        )

    def __len__(self) -> int:
        return len(self.dates)

    def price_on(self, on: date) -> PriceQuote | None:
        """The last close on or before ``on``; None when the series starts later."""
        i = bisect_right(self.dates, on) - 1
        if i < 0:
            return None
        source = self.sources[i] if self.sources else None
        return PriceQuote(self.closes[i], self.dates[i], self.currency, source)

    def require_on(self, on: date) -> PriceQuote:
        """Like ``price_on`` but raises ``MissingPriceError`` instead of returning None."""
        quote = self.price_on(on)
        if quote is None:
            raise MissingPriceError(self.name or self.currency, on)
        return quote

    def closes_on(self, dates: Sequence[date]) -> list[Decimal | None]:
        """Last close on or before each of the ascending ``dates``, in one pass."""
        out: list[Decimal | None] = []
        obs, closes, n, j = self.dates, self.closes, len(self.dates), -1
        for d in dates:
            while j + 1 < n and obs[j + 1] <= d:
                j += 1
            out.append(closes[j] if j >= 0 else None)
        return out
