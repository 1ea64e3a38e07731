"""Per-user rate limit of the price endpoints, on the `limits` library.

Memory storage serves one process; with REDIS_URL every app process shares the counts.
"""

from __future__ import annotations

import math
import time

from limits import parse as parse_limit
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from portfolio_tracker.api.errors import RateLimited

SCOPE = "prices"


class PriceThrottle:
    def __init__(self, limit: str, redis_url: str | None, key_prefix: str) -> None:
        self.item = parse_limit(limit)
        self.storage: Storage = (
            RedisStorage(redis_url, key_prefix=key_prefix) if redis_url else MemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(self.storage)

    def hit(self, caller: str) -> None:
        """Count one request of ``caller``; RateLimited (429 + Retry-After) over the limit."""
        if not self.limiter.hit(self.item, SCOPE, caller):
            stats = self.limiter.get_window_stats(self.item, SCOPE, caller)
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimited("Too many price requests. Try again later.",
                              retry_after=retry_after)
