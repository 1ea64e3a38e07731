"""Several providers of the same prices, tried in order (Yahoo, then Stooq)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

from portfolio_tracker.prices.providers.base import (
    FeedDataError,
    FeedUnavailable,
    PriceFeedError,
    PricePoint,
    PriceProvider,
    Quote,
    SymbolNotFound,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


class FallbackProvider:
    """Asks each provider in turn; the first real answer wins.

    A symbol is reported unknown only when every provider said so; if any provider failed
    instead, we cannot tell and report the feed as unavailable (→ stored price or 503).
    """

    def __init__(self, name: str, providers: Sequence[PriceProvider]) -> None:
        if not providers:
            raise ValueError("a fallback needs at least one provider")
        self._name = name
        self._providers = tuple(providers)

    @property
    def name(self) -> str:
        return self._name

    def latest(self, symbol: str) -> Quote:
        return self._first(symbol, lambda provider: provider.latest(symbol))

    def history(self, symbol: str, start: date, end: date) -> list[PricePoint]:
        return self._first(symbol, lambda provider: provider.history(symbol, start, end))

    def _first(self, symbol: str, call: Callable[[PriceProvider], T]) -> T:
        errors: list[PriceFeedError] = []
        for provider in self._providers:
            try:
                return call(provider)
            except (SymbolNotFound, FeedUnavailable, FeedDataError) as exc:
                errors.append(exc)
                # Debug: when every source fails, the error names each one's failure.
                logger.debug(
                    "%s: %s failed for %s (%s), trying the next source",
                    self._name,
                    provider.name,
                    symbol,
                    type(exc).__name__,
                )
        detail = "; ".join(f"{e.source}: {e.detail}" for e in errors)
        if all(isinstance(e, SymbolNotFound) for e in errors):
            raise SymbolNotFound(self._name, symbol, detail)
        retry_after = [
            e.retry_after
            for e in errors
            if isinstance(e, FeedUnavailable) and e.retry_after is not None
        ]
        raise FeedUnavailable(
            self._name, symbol, detail, retry_after=min(retry_after) if retry_after else None
        )
