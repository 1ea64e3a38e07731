"""Every use of Redis (rate limits, quote cache, portfolio cache) goes through a `RedisGuard`.

Redis is an accelerator here, never a source of truth: when it fails or hangs, each caller
has an in-process answer (count in this process, a cache miss). The guard makes that cheap:
short socket timeouts, no client-side retries, and a circuit breaker shared by all Redis
users of the app, so after one failure nobody waits on Redis again for `cooldown_s`
seconds; then one trial call decides whether it is back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from portfolio_tracker.breaker import CircuitBreaker

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT_SECONDS = 0.5
DEFAULT_COOLDOWN_SECONDS = 30.0


class RedisGuard:
    """Socket options for Redis clients and the breaker every Redis call goes through."""

    def __init__(
        self,
        timeout_s: float = DEFAULT_TIMEOUT_SECONDS,
        cooldown_s: float = DEFAULT_COOLDOWN_SECONDS,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self._healthy = True
        # The guard logs each failure itself, with its cause: one line per event.
        self.breaker = breaker or CircuitBreaker("redis", 1, cooldown_s, log_transitions=False)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for `redis.Redis.from_url` (and limits' RedisStorage): one try,
        bounded by the timeout, for connecting and for every command."""
        return {
            "socket_timeout": self.timeout_s,
            "socket_connect_timeout": self.timeout_s,
            "retry": Retry(NoBackoff(), 0),
        }

    def client(self, url: str) -> redis.Redis:
        return redis.Redis.from_url(url, **self.client_options())

    def call(
        self,
        what: str,
        operation: Callable[[], T],
        fallback: Callable[[], T],
        errors: tuple[type[Exception], ...] = (redis.RedisError,),
    ) -> T:
        """`operation()` unless the breaker is open or it fails with one of `errors`; then
        `fallback()`. A failure is logged once (one line) and opens the breaker."""
        if not self.breaker.allow():
            return fallback()
        try:
            result = operation()
        except errors as exc:
            self._healthy = False
            self.breaker.record_failure()
            logger.warning(
                "redis: %s failed (%s); working in process for %.0f s",
                what,
                type(exc).__name__,
                self.breaker.retry_in(),
            )
            return fallback()
        if not self._healthy:
            logger.info("redis: %s works again", what)
        self._healthy = True
        self.breaker.record_success()
        return result
