"""Rate-limit counting on the `limits` library, shared by every throttle of the app.

Memory storage serves one process; with REDIS_URL every app process shares the counts.
When Redis cannot be reached the counting falls back to this process (logged): the limit
still holds per process, and a Redis outage never turns a request into a 500.
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

logger = logging.getLogger(__name__)

_STORAGE_ERRORS = (StorageError, redis.RedisError)


class ResilientLimiter:
    def __init__(self, redis_url: str | None, key_prefix: str) -> None:
        self.storage: Storage = (
            RedisStorage(
                redis_url,
                key_prefix=key_prefix,
                wrap_exceptions=True,
                socket_timeout=2,
                socket_connect_timeout=2,
            )
            if redis_url
            else MemoryStorage()
        )
        self._shared = MovingWindowRateLimiter(self.storage)
        self._local = MovingWindowRateLimiter(MemoryStorage())

    def _fallback(self, exc: Exception) -> MovingWindowRateLimiter:
        logger.warning(
            "rate limit: shared storage failed (%s); counting in process", type(exc).__name__
        )
        return self._local

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Whether one more hit would be allowed (counts nothing)."""
        try:
            return self._shared.test(item, *identifiers)
        except _STORAGE_ERRORS as exc:
            return self._fallback(exc).test(item, *identifiers)

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count one hit; False when it is over the limit."""
        try:
            return self._shared.hit(item, *identifiers)
        except _STORAGE_ERRORS as exc:
            return self._fallback(exc).hit(item, *identifiers)

    def retry_after(self, item: RateLimitItem, *identifiers: str) -> int:
        """Whole seconds until the window lets the next hit through (at least 1)."""
        try:
            reset_time = self._shared.get_window_stats(item, *identifiers).reset_time
        except _STORAGE_ERRORS:
            reset_time = time.time() + item.get_expiry()
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
