"""Per-user rate limit of the price endpoints, on the `limits` library.

Memory storage serves one process; with REDIS_URL every app process shares the counts.
When Redis cannot be reached the request is counted in process instead (logged): the
limit still holds per process, and a Redis outage never turns a price request into a 500.
"""

from __future__ import annotations

import logging
import math
import time
from typing import cast

import redis
from limits import parse as parse_limit
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from portfolio_tracker.api.errors import RateLimited

logger = logging.getLogger(__name__)

SCOPE = "prices"


class PriceThrottle:
    def __init__(self, limit: str, redis_url: str | None, key_prefix: str) -> None:
        self.item = parse_limit(limit)
        self.storage: Storage = (
            RedisStorage(redis_url, key_prefix=key_prefix, wrap_exceptions=True,
                         socket_timeout=2, socket_connect_timeout=2)
            if redis_url else MemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(self.storage)
        # Used while the shared storage is unreachable.
        self._local = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, caller: str) -> None:
        """Count one request of ``caller``; RateLimited (429 + Retry-After) over the limit."""
        limiter = self.limiter
        try:
            allowed = limiter.hit(self.item, SCOPE, caller)
        except (StorageError, redis.RedisError) as exc:
            logger.warning("price rate limit: shared storage failed (%s); counting in process",
                           type(exc).__name__)
            limiter = self._local
            allowed = limiter.hit(self.item, SCOPE, caller)
        if allowed:
            return
        try:
            reset_time = limiter.get_window_stats(self.item, SCOPE, caller).reset_time
        except (StorageError, redis.RedisError):
            reset_time = time.time() + self.item.get_expiry()
        retry_after = max(1, math.ceil(reset_time - time.time()))
        raise RateLimited("Too many price requests. Try again later.", retry_after=retry_after)

    def close(self) -> None:
        """Close the Redis connections of the shared storage (app shutdown); never raises."""
        close_limits_storage(self.storage)


def close_limits_storage(storage: Storage) -> None:
    """Close a `limits` storage's Redis client, if it has one."""
    if not isinstance(storage, RedisStorage):
        return
    try:
        # limits types its client as a protocol without close(); it is a redis.Redis.
        cast(redis.Redis, storage.get_connection()).close()
    except redis.RedisError as exc:
        logger.warning("rate limit: closing Redis failed (%s)", type(exc).__name__)
