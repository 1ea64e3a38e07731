"""Caches of computed portfolio figures, keyed so that no process serves stale figures.

Every key holds the user's data version and the global prices version, read from the
database at the start of each request (``db.versions.read_versions``, one small query). A
write bumps a counter in its own transaction, so the next request of ANY process builds a
new key and misses: invalidation needs no messages between processes.

* Results (the JSON body of a response) go to Redis when ``settings.redis_url`` is set, so
  several app processes share the work (JSON text, TTL, keys ``pt:portfolio:...``), and to an
  in-process LRU otherwise. Redis errors are misses (see `RedisGuard`: logged once, then
  Redis is left alone for a cool-down).
* Each asset's figures (``state.views.AssetFigures``: lots, realised flows, day moves) are
  kept in-process only, keyed by the asset's write sequence: a write to one asset recomputes
  that asset alone (from its stored checkpoint), and a new price reloads only price rows.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar

import redis

from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.redis_guard import RedisGuard
from portfolio_tracker.state.views import FiguresCache, WriteBack

log = logging.getLogger(__name__)

REDIS_KEY_PREFIX = "pt:portfolio:"
REDIS_TTL_SECONDS = 24 * 3600
MEMORY_RESULT_ENTRIES = 256
RATE_TABLES = 16
FIGURES_ENTRIES = 4096  # assets; a figure holds open lots and flows, never every trade

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small thread-safe LRU (sync routes run on a thread pool)."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class ResultStore(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes) -> None: ...
    def clear(self) -> None: ...


class MemoryResultStore:
    def __init__(self, max_entries: int = MEMORY_RESULT_ENTRIES) -> None:
        self._lru: LruCache[str, bytes] = LruCache(max_entries)

    def get(self, key: str) -> bytes | None:
        return self._lru.get(key)

    def set(self, key: str, value: bytes) -> None:
        self._lru.set(key, value)

    def clear(self) -> None:
        self._lru.clear()

    def close(self) -> None:
        """Nothing to release."""


class RedisResultStore:
    def __init__(
        self,
        url: str,
        prefix: str = REDIS_KEY_PREFIX,
        ttl: int = REDIS_TTL_SECONDS,
        guard: RedisGuard | None = None,
    ):
        self._guard = guard or RedisGuard()
        self._client = self._guard.client(url)
        self._prefix = prefix
        self._ttl = ttl

    def get(self, key: str) -> bytes | None:
        value = self._guard.call(
            "portfolio cache read", lambda: self._client.get(self._prefix + key), lambda: None
        )
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes) -> None:
        self._guard.call(
            "portfolio cache write",
            lambda: self._client.set(self._prefix + key, value, ex=self._ttl),
            lambda: None,
        )

    def clear(self) -> None:
        """Forget this deployment's entries (benchmarks and tests; never needed for safety)."""
        try:
            for key in self._client.scan_iter(match=self._prefix + "*", count=1000):
                self._client.delete(key)
        except redis.RedisError as exc:
            log.warning("portfolio cache clear failed: %s", exc)

    def close(self) -> None:
        """Close the client's connections (app shutdown); never raises."""
        try:
            self._client.close()
        except redis.RedisError as exc:
            log.warning("portfolio cache close failed: %s", exc)


class PortfolioCache:
    """What one app process keeps: the shared result store, its own per-asset figures and
    the background writer of what readers learn about stored state (``writer``: set by the
    app; None in one-off processes, whose reads then write nothing back)."""

    def __init__(self, results: ResultStore, figures_entries: int = FIGURES_ENTRIES) -> None:
        self.results = results
        self.figures = FiguresCache(figures_entries)
        self.writer: WriteBack | None = None
        # Rate tables (immutable once built) by (prices version, manual rates digest,
        # currencies, last day): a write of trades leaves them valid.
        self.rates: LruCache[Hashable, RateTable] = LruCache(RATE_TABLES)

    @classmethod
    def from_redis_url(
        cls, redis_url: str | None, guard: RedisGuard | None = None
    ) -> PortfolioCache:
        store: ResultStore = (
            RedisResultStore(redis_url, guard=guard) if redis_url else MemoryResultStore()
        )
        return cls(store)

    def clear(self) -> None:
        self.results.clear()
        self.figures.clear()
        self.rates.clear()

    def close(self) -> None:
        """Finish the queued write-backs and release the result store's connections (app
        shutdown)."""
        if self.writer is not None:
            self.writer.close()
        close = getattr(self.results, "close", None)
        if callable(close):
            close()


def result_key(user_id: uuid.UUID, versions: tuple[int, int], kind: str, *params: str) -> str:
    user_version, prices_version = versions
    return ":".join((str(user_id), str(user_version), str(prices_version), kind, *params))
