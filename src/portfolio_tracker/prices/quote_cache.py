"""A TTL cache of latest quotes: in process, or in Redis shared by all app processes.

Keys are chosen by the caller (e.g. ``"stock:AAPL"``). Redis values are JSON with the
Decimal price as a string, so no float ever touches a price. A Redis outage degrades to
"no cache" (logged), never to an error for the user.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

import redis

from portfolio_tracker.prices.providers.base import PricePoint, PriceProvider, Quote
from portfolio_tracker.redis_guard import RedisGuard

logger = logging.getLogger(__name__)

REDIS_PREFIX = "pt:quote:"


class QuoteCache(Protocol):
    def get(self, key: str) -> Quote | None: ...

    def set(self, key: str, quote: Quote) -> None: ...


def close_quote_cache(cache: QuoteCache) -> None:
    """Release what a cache holds (Redis connections), for caches that have ``close()``."""
    close = getattr(cache, "close", None)
    if callable(close):
        close()


class InMemoryQuoteCache:
    """Per-process cache; the clock is injectable so tests can expire entries."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Quote]] = {}

    def get(self, key: str) -> Quote | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, quote = entry
            if self._clock() >= expires_at:
                del self._entries[key]
                return None
            return quote

    def set(self, key: str, quote: Quote) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + self._ttl, quote)

    def close(self) -> None:
        """Nothing to release (the app's shutdown closes every cache alike)."""


def quote_to_json(quote: Quote) -> str:
    return json.dumps(
        {
            "symbol": quote.symbol,
            "price": str(quote.price),
            "currency": quote.currency,
            "as_of": quote.as_of.isoformat(),
            "source": quote.source,
        }
    )


def quote_from_json(text: str | bytes) -> Quote:
    """Raises ValueError for anything that is not a quote we wrote."""
    try:
        data = json.loads(text)
        price = Decimal(data["price"])
        as_of = datetime.fromisoformat(data["as_of"])
        quote = Quote(
            symbol=str(data["symbol"]),
            price=price,
            currency=str(data["currency"]),
            as_of=as_of,
            source=str(data["source"]),
        )
    except (KeyError, TypeError, InvalidOperation, json.JSONDecodeError) as exc:
        raise ValueError(f"not a cached quote: {type(exc).__name__}") from None
    if not price.is_finite() or price <= 0 or as_of.tzinfo is None:
        raise ValueError("not a cached quote: invalid values")
    return quote


class RedisQuoteCache:
    """Shared cache: ``SET pt:quote:<key> <json> EX <ttl>``; Redis expires entries itself."""

    def __init__(
        self,
        client: redis.Redis,
        ttl_seconds: int,
        prefix: str = REDIS_PREFIX,
        guard: RedisGuard | None = None,
    ) -> None:
        self._redis = client
        self._ttl = ttl_seconds
        self._prefix = prefix
        self._guard = guard or RedisGuard()

    def get(self, key: str) -> Quote | None:
        raw = self._guard.call(
            "quote cache read", lambda: self._redis.get(self._prefix + key), lambda: None
        )
        if raw is None:
            return None
        if not isinstance(raw, str | bytes):
            return None
        try:
            return quote_from_json(raw)
        except ValueError as exc:
            logger.warning("quote cache: ignoring entry %s: %s", key, exc)
            return None

    def set(self, key: str, quote: Quote) -> None:
        # SET with EX is SETEX in one atomic command; redis-py 8 deprecates setex().
        self._guard.call(
            "quote cache write",
            lambda: self._redis.set(self._prefix + key, quote_to_json(quote), ex=self._ttl),
            lambda: None,
        )

    def close(self) -> None:
        """Close the client's connections (app shutdown); never raises."""
        try:
            self._redis.close()
        except redis.RedisError as exc:
            logger.warning("quote cache: closing Redis failed (%s)", type(exc).__name__)


def build_quote_cache(
    redis_url: str | None, ttl_seconds: int, guard: RedisGuard | None = None
) -> QuoteCache:
    """Redis when a URL is configured (shared by all processes), else in process."""
    if redis_url:
        guard = guard or RedisGuard()
        return RedisQuoteCache(guard.client(redis_url), ttl_seconds, guard=guard)
    return InMemoryQuoteCache(ttl_seconds)


class CachedProvider:
    """A provider whose ``latest`` answers from the cache within the TTL.

    History is not cached here: it is stored in the database by the price service.
    """

    def __init__(self, provider: PriceProvider, cache: QuoteCache, namespace: str) -> None:
        self._provider = provider
        self._cache = cache
        self._namespace = namespace

    @property
    def name(self) -> str:
        return self._provider.name

    def latest(self, symbol: str) -> Quote:
        key = f"{self._namespace}:{symbol.strip().upper()}"
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        quote = self._provider.latest(symbol)
        self._cache.set(key, quote)
        return quote

    def history(self, symbol: str, start: date, end: date) -> list[PricePoint]:
        return self._provider.history(symbol, start, end)
