"""Price providers: one module per source behind the ``PriceProvider`` protocol.

Every feed call goes through ``providers.resilience`` (timeouts, retries, circuit breaker).
Wiring from settings lives in ``providers.registry`` (not imported here, so that
``providers.resilience`` can import the exceptions without a cycle).
"""

from portfolio_tracker.prices.providers.base import (
    FeedDataError,
    FeedUnavailable,
    PriceFeedError,
    PricePoint,
    PriceProvider,
    Quote,
    SymbolNotFound,
)
from portfolio_tracker.prices.providers.fallback import FallbackProvider

__all__ = [
    "FallbackProvider",
    "FeedDataError",
    "FeedUnavailable",
    "PriceFeedError",
    "PricePoint",
    "PriceProvider",
    "Quote",
    "SymbolNotFound",
]
