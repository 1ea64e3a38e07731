"""The one interface every price source implements, and the values it returns.

Providers return plain frozen dataclasses of ``Decimal``/``date``/``datetime`` so the
service layer can store them and the engine can use them without knowing about httpx.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Quote:
    """The latest known price of one symbol. ``as_of`` is timezone-aware (UTC)."""

    symbol: str
    price: Decimal
    currency: str
    as_of: datetime
    source: str


@dataclass(frozen=True, slots=True)
class PricePoint:
    """One daily close. ``day`` is the trading day in the market's own calendar."""

    symbol: str
    day: date
    close: Decimal
    currency: str
    source: str


@dataclass(frozen=True, slots=True)
class SplitEvent:
    """A split the feed reports (Yahoo's chart ``events.splits``): from ``day`` on, one old
    share is ``numerator / denominator`` new ones (a reverse split when below 1)."""

    symbol: str
    day: date
    numerator: Decimal
    denominator: Decimal
    source: str


class PricePoints(list[PricePoint]):
    """A history answer: the closes, plus the splits the feed reported over the same range
    (``splits``; empty for feeds that report none). Wrappers pass it on as it is."""

    splits: tuple[SplitEvent, ...] = ()

    def __init__(self, points: list[PricePoint], splits: tuple[SplitEvent, ...] = ()) -> None:
        super().__init__(points)
        self.splits = splits


class PriceFeedError(Exception):
    """Base of every error a provider raises; the service maps these to HTTP."""

    def __init__(self, source: str, symbol: str, detail: str) -> None:
        super().__init__(f"{source}: {symbol}: {detail}")
        self.source = source
        self.symbol = symbol
        self.detail = detail


class SymbolNotFound(PriceFeedError):
    """The source answered and does not know this symbol (→ 404 if no source knows it)."""


class FeedUnavailable(PriceFeedError):
    """Network error, timeout, 5xx or 429 after retries, or the breaker is open (→ 503)."""

    def __init__(
        self, source: str, symbol: str, detail: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(source, symbol, detail)
        # Seconds the source asked us to wait, when it said so; lets callers answer 503
        # with a meaningful Retry-After of their own.
        self.retry_after = retry_after


class FeedDataError(PriceFeedError):
    """The source answered something we refuse to trust as a price."""


@runtime_checkable
class PriceProvider(Protocol):
    """A source of quotes and daily closes for one kind of asset."""

    @property
    def name(self) -> str:
        """Short source label stored next to each price, e.g. ``"yahoo"``."""
        ...

    def latest(self, symbol: str) -> Quote:
        """The most recent price; raises SymbolNotFound, FeedUnavailable or FeedDataError."""
        ...

    def history(self, symbol: str, start: date, end: date) -> list[PricePoint]:
        """Daily closes with ``start <= day <= end``, ascending, one per day (may be empty)."""
        ...
