"""How every provider talks to its feed: timeouts, retries, a concurrency cap, a breaker.

One ``FeedClient`` per source. Providers hand it a request and a parser; it decides what is
worth retrying (timeouts, network errors, 429, 5xx), when to stop calling a source that
keeps failing (circuit breaker) and how many requests may be in flight at once.
"""

from __future__ import annotations

import email.utils
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import stamina
import stamina.instrumentation

from portfolio_tracker.breaker import BreakerState as BreakerState
from portfolio_tracker.breaker import CircuitBreaker as CircuitBreaker
from portfolio_tracker.metrics import FEED_ERRORS
from portfolio_tracker.prices.providers.base import (
    FeedDataError,
    FeedUnavailable,
    PriceFeedError,
)

logger = logging.getLogger(__name__)

# stamina logs every scheduled retry at WARNING (and prints them in the CLI); the attempts
# are logged here at debug, and the outcome once by the price service.
stamina.instrumentation.set_on_retry_hooks([])

T = TypeVar("T")
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff between attempts (stamina); ``max_wait`` caps any single wait."""

    attempts: int = 3
    initial_wait: float = 0.5
    max_wait: float = 10.0
    jitter: float = 0.5


class _RetryableFailure(Exception):
    """Internal: one attempt failed in a way worth retrying."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = now() if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


class FeedClient:
    """The only way a provider reaches the network.

    ``fetch`` sends one logical request (with retries) and runs ``parse`` on the answer.
    A parse that raises ``FeedDataError`` or ``FeedUnavailable`` counts as a failure of
    the source for the breaker (an HTML wall with status 200 is an outage in disguise);
    ``SymbolNotFound`` counts as a success, since the source answered properly.
    """

    def __init__(
        self,
        source: str,
        http: httpx.Client,
        *,
        breaker: CircuitBreaker,
        max_concurrency: int,
        retry: RetryPolicy,
        timeout_seconds: float = 10.0,
        user_agent: str | None = None,
    ) -> None:
        self.source = source
        self._http = http
        self.breaker = breaker
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._retry = retry
        # Set per request, not on the httpx.Client, so a client shared with (or built by)
        # someone else still gets the feed timeout and a browser User-Agent.
        self._timeout = httpx.Timeout(timeout_seconds)
        self._base_headers = {"User-Agent": user_agent} if user_agent else {}

    def fetch(
        self,
        method: str,
        url: str,
        parse: Callable[[httpx.Response], T],
        *,
        symbol: str,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        if not self.breaker.allow():
            wait = self.breaker.retry_in()
            logger.info("%s: breaker open, not calling for %s", self.source, symbol)
            raise FeedUnavailable(
                self.source, symbol, "source disabled after repeated failures", retry_after=wait
            )
        try:
            response = self._send_with_retries(method, url, symbol, params, json, headers)
            result = parse(response)
        except (FeedUnavailable, FeedDataError) as exc:
            self.breaker.record_failure()
            FEED_ERRORS.labels(self.source, type(exc).__name__).inc()
            raise
        except PriceFeedError:
            self.breaker.record_success()
            raise
        except BaseException:
            # A bug in a parser must not leave a half-open trial slot taken forever.
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return result

    def _send_with_retries(
        self,
        method: str,
        url: str,
        symbol: str,
        params: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        policy = self._retry
        last: _RetryableFailure | None = None
        try:
            for attempt in stamina.retry_context(
                on=self._backoff_for,
                attempts=policy.attempts,
                timeout=None,
                wait_initial=policy.initial_wait,
                wait_max=policy.max_wait,
                wait_jitter=policy.jitter,
            ):
                with attempt:
                    try:
                        return self._send_once(method, url, params, json, headers)
                    except _RetryableFailure as failure:
                        last = failure
                        # Debug: the caller logs the outcome of the whole call once.
                        logger.debug(
                            "%s: attempt %d for %s failed: %s",
                            self.source,
                            attempt.num,
                            symbol,
                            failure.detail,
                        )
                        raise
        except _RetryableFailure as failure:
            raise FeedUnavailable(
                self.source, symbol, failure.detail, retry_after=failure.retry_after
            ) from None
        # stamina always runs at least one attempt; this is for the type checker.
        detail = last.detail if last else "no attempt made"
        raise FeedUnavailable(self.source, symbol, detail)

    def _backoff_for(self, exc: Exception) -> bool | float:
        """stamina hook: retry our failures, waiting Retry-After when it is reasonable."""
        if not isinstance(exc, _RetryableFailure):
            return False
        if exc.retry_after is None:
            return True
        if exc.retry_after > self._retry.max_wait:
            # Waiting minutes inside a user's request is worse than answering 503 now.
            return False
        return exc.retry_after

    def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        if not self._slots.acquire(timeout=self._timeout.read or 10.0):
            raise _RetryableFailure("too many concurrent requests to this source")
        try:
            response = self._http.request(
                method,
                url,
                params=params,
                json=json,
                headers={**self._base_headers, **(headers or {})},
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise _RetryableFailure(f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            # The class name only: messages of some transport errors carry the full URL,
            # which may hold an API key in its query string.
            raise _RetryableFailure(f"network error ({type(exc).__name__})") from None
        finally:
            self._slots.release()
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise _RetryableFailure(f"HTTP {status}", retry_after=retry_after)
        return response


class _RedactSecrets(logging.Filter):
    """Replaces registered secrets in log records of the HTTP libraries.

    httpx logs every request URL at INFO; a key that travels in the query string (Stooq)
    would otherwise end up in the application's logs.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACTOR = _RedactSecrets()
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_REDACTOR)


def redact_in_logs(secret: str) -> None:
    """Never let ``secret`` (an API key) appear in httpx/httpcore log lines."""
    if secret:
        _REDACTOR.secrets.add(secret)


def new_http_client(timeout_seconds: float, user_agent: str) -> httpx.Client:
    """The shared sync client: one connection pool, the feed timeout, a browser UA."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds),
        headers={"User-Agent": user_agent},
        follow_redirects=True,
    )
