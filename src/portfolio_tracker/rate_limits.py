"""Rate-limit counting on the `limits` library, shared by every throttle of the app.

Memory storage serves one process; with REDIS_URL every app process shares the counts.
When Redis fails or hangs the counting falls back to this process (see `RedisGuard`: short
timeouts, then no Redis at all for a cool-down): the limit still holds per process, and a
Redis outage neither turns a request into a 500 nor makes it wait.
"""

from __future__ import annotations

import logging
import math
import time
from typing import cast

import redis
from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from portfolio_tracker.redis_guard import RedisGuard

logger = logging.getLogger(__name__)

_STORAGE_ERRORS = (StorageError, redis.RedisError)


class ResilientLimiter:
    def __init__(
        self, redis_url: str | None, key_prefix: str, guard: RedisGuard | None = None
    ) -> None:
        self.guard = guard or RedisGuard()
        self.storage: Storage = (
            RedisStorage(
                redis_url,
                key_prefix=key_prefix,
                wrap_exceptions=True,
                **self.guard.client_options(),
            )
            if redis_url
            else MemoryStorage()
        )
        self._shared = MovingWindowRateLimiter(self.storage)
        self._local = MovingWindowRateLimiter(MemoryStorage())

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Whether one more hit would be allowed (counts nothing)."""
        return self.guard.call(
            "rate limit",
            lambda: self._shared.test(item, *identifiers),
            lambda: self._local.test(item, *identifiers),
            _STORAGE_ERRORS,
        )

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count one hit; False when it is over the limit."""
        return self.guard.call(
            "rate limit",
            lambda: self._shared.hit(item, *identifiers),
            lambda: self._local.hit(item, *identifiers),
            _STORAGE_ERRORS,
        )

    def retry_after(self, item: RateLimitItem, *identifiers: str) -> int:
        """Whole seconds until the window lets the next hit through (at least 1)."""
        reset_time = self.guard.call(
            "rate limit",
            lambda: self._shared.get_window_stats(item, *identifiers).reset_time,
            lambda: self._local.get_window_stats(item, *identifiers).reset_time,
            _STORAGE_ERRORS,
        )
        return max(1, math.ceil(reset_time - time.time()))

    def close(self) -> None:
        """Close the Redis client of the shared storage (app shutdown); never raises."""
        if not isinstance(self.storage, RedisStorage):
            return
        try:
            # limits types its client as a protocol without close(); it is a redis.Redis.
            cast(redis.Redis, self.storage.get_connection()).close()
        except redis.RedisError as exc:
            logger.warning("rate limit: closing Redis failed (%s)", type(exc).__name__)
