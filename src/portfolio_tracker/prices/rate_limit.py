"""Per-user rate limit of the price endpoints (PRICE_RATE_LIMIT).

Counting is shared through Redis when REDIS_URL is set and falls back to this process when
Redis is unreachable (see portfolio_tracker.rate_limits).
"""

from __future__ import annotations

from limits import parse as parse_limit

from portfolio_tracker.errors import RateLimited
from portfolio_tracker.rate_limits import ResilientLimiter
from portfolio_tracker.redis_guard import RedisGuard

SCOPE = "prices"


class PriceThrottle:
    def __init__(
        self, limit: str, redis_url: str | None, key_prefix: str, guard: RedisGuard | None = None
    ) -> None:
        self.item = parse_limit(limit)
        self.limiter = ResilientLimiter(redis_url, key_prefix, guard)

    def hit(self, caller: str) -> None:
        """Count one request of ``caller``; RateLimited (429 + Retry-After) over the limit."""
        if not self.limiter.hit(self.item, SCOPE, caller):
            raise RateLimited(
                "Too many price requests. Try again later.",
                retry_after=self.limiter.retry_after(self.item, SCOPE, caller),
            )

    def close(self) -> None:
        self.limiter.close()
