from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from portfolio_tracker.prices.providers.base import FeedDataError, FeedUnavailable, SymbolNotFound
from portfolio_tracker.prices.providers.registry import PriceFeeds
from portfolio_tracker.prices.providers.resilience import (
    BreakerState,
    CircuitBreaker,
    FeedClient,
    RetryPolicy,
    _RetryableFailure,
    parse_retry_after,
)
from portfolio_tracker.prices.providers.yahoo import YahooChartProvider
from recordings import YAHOO, FakeClock, html_response, json_response

AAPL = f"{YAHOO}/v8/finance/chart/AAPL"


def test_breaker_opens_after_consecutive_failures_then_half_opens(clock: FakeClock) -> None:
    breaker = CircuitBreaker("feed", failure_threshold=3, cooldown_seconds=30, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()

    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    assert breaker.retry_in() == 30

    clock.advance(30)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()  # one trial call...
    assert not breaker.allow()  # ...at a time
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_refusing_says_what_allow_would_without_taking_the_trial(clock: FakeClock) -> None:
    breaker = CircuitBreaker("db", failure_threshold=1, cooldown_seconds=1, clock=clock)
    assert not breaker.refusing()
    breaker.record_failure()
    assert breaker.refusing()  # open
    clock.advance(1)
    assert not breaker.refusing()  # half-open, no trial yet...
    assert not breaker.refusing()  # ...and asking took none
    assert breaker.allow()
    assert breaker.refusing()  # the trial is in flight
    breaker.record_success()
    assert not breaker.refusing()


def test_a_failed_trial_reopens_for_a_full_cooldown(clock: FakeClock) -> None:
    breaker = CircuitBreaker("feed", failure_threshold=1, cooldown_seconds=30, clock=clock)
    breaker.record_failure()
    clock.advance(31)
    assert breaker.allow()

    breaker.record_failure()

    assert breaker.state is BreakerState.OPEN
    clock.advance(29)
    assert not breaker.allow()


def test_a_success_resets_the_count(clock: FakeClock) -> None:
    breaker = CircuitBreaker("feed", failure_threshold=3, cooldown_seconds=30, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()

    assert breaker.state is BreakerState.CLOSED


def test_breaker_stops_calling_yahoo_and_recovers_after_cooldown(feeds, feed_mock, clock) -> None:
    yahoo = feeds.clients["yahoo"]
    stock = _yahoo(feeds)
    route = feed_mock.get(AAPL).mock(return_value=httpx.Response(503))
    for _ in range(3):  # FEED_BREAKER_FAILURES=3 in the test settings
        with pytest.raises(FeedUnavailable):
            stock.latest("AAPL")
    assert route.call_count == 9  # three calls of three attempts
    assert yahoo.breaker.state is BreakerState.OPEN

    with pytest.raises(FeedUnavailable, match="disabled") as raised:
        stock.latest("AAPL")
    assert route.call_count == 9  # no request while open
    assert raised.value.retry_after == 30

    clock.advance(30)
    route.mock(return_value=json_response("yahoo_aapl_history.json"))
    assert stock.latest("AAPL").price == Decimal("231.4")
    assert yahoo.breaker.state is BreakerState.CLOSED


def test_html_walls_count_as_failures_but_unknown_symbols_do_not(feeds, feed_mock) -> None:
    yahoo = _yahoo(feeds)
    feed_mock.get(f"{YAHOO}/v8/finance/chart/NOPE").mock(
        return_value=json_response("yahoo_not_found.json", 404)
    )
    feed_mock.get(AAPL).mock(return_value=html_response("yahoo_outage.html"))

    for _ in range(5):
        with pytest.raises(SymbolNotFound):
            yahoo.latest("NOPE")
    assert feeds.clients["yahoo"].breaker.state is BreakerState.CLOSED

    for _ in range(3):
        with pytest.raises(FeedDataError):
            yahoo.latest("AAPL")
    assert feeds.clients["yahoo"].breaker.state is BreakerState.OPEN


def test_server_errors_are_retried_then_succeed(feeds, feed_mock) -> None:
    route = feed_mock.get(AAPL).mock(
        side_effect=[
            httpx.Response(500),
            httpx.Response(502),
            json_response("yahoo_aapl_history.json"),
        ]
    )

    assert _yahoo(feeds).latest("AAPL").price == Decimal("231.4")
    assert route.call_count == 3


def test_client_errors_are_not_retried(feeds, feed_mock) -> None:
    route = feed_mock.get(AAPL).mock(
        return_value=httpx.Response(
            400,
            json={
                "chart": {
                    "result": None,
                    "error": {"code": "Bad Request", "description": "Invalid interval"},
                }
            },
        )
    )

    with pytest.raises(FeedDataError):
        _yahoo(feeds).latest("AAPL")
    assert route.call_count == 1


def test_a_short_retry_after_is_honoured(feeds, feed_mock) -> None:
    route = feed_mock.get(AAPL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}, text="Too Many Requests"),
            json_response("yahoo_aapl_history.json"),
        ]
    )

    assert _yahoo(feeds).latest("AAPL").price == Decimal("231.4")
    assert route.call_count == 2


def test_a_long_retry_after_gives_up_at_once(feeds, feed_mock) -> None:
    route = feed_mock.get(AAPL).mock(
        return_value=httpx.Response(429, headers={"Retry-After": "120"}, text="Too Many Requests")
    )

    with pytest.raises(FeedUnavailable) as raised:
        _yahoo(feeds).latest("AAPL")

    assert route.call_count == 1
    assert raised.value.retry_after == 120


def test_backoff_waits_what_retry_after_says_within_the_cap(http) -> None:
    client = _client(http, max_wait=10)
    failure = _failure(retry_after=4.0)

    assert client._backoff_for(failure) == 4.0
    assert client._backoff_for(_failure(retry_after=None)) is True
    assert client._backoff_for(_failure(retry_after=11.0)) is False
    assert client._backoff_for(ValueError("a bug")) is False


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 25 Nov 2026 09:00:30 GMT", now=lambda: now) == 30.0
    assert parse_retry_after("Wed, 25 Nov 2026 08:00:00 GMT", now=lambda: now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_a_source_never_gets_more_than_its_concurrency(http, feed_mock) -> None:
    client = _client(http, max_concurrency=2)
    active, peak, lock = 0, 0, threading.Lock()

    def slow_answer(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)  # keep the slot busy so that other threads pile up
        with lock:
            active -= 1
        return httpx.Response(200, text="ok")

    feed_mock.get("https://feed.test/x").mock(side_effect=slow_answer)
    threads = [
        threading.Thread(
            target=client.fetch,
            args=("GET", "https://feed.test/x", lambda r: r.text),
            kwargs={"symbol": "X"},
        )
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert peak == 2
    assert len(feed_mock.calls) == 6


def test_no_free_slot_is_reported_unavailable(http, feed_mock) -> None:
    client = _client(http, max_concurrency=1, timeout=0.01)

    def reenter(request: httpx.Request) -> httpx.Response:
        # A second call while the only slot is taken must not wait forever.
        with pytest.raises(FeedUnavailable, match="concurrent"):
            client.fetch("GET", "https://feed.test/y", lambda r: r, symbol="Y")
        return httpx.Response(200, text="ok")

    feed_mock.get("https://feed.test/x").mock(side_effect=reenter)

    assert client.fetch("GET", "https://feed.test/x", lambda r: r.text, symbol="X") == "ok"


def _yahoo(feeds: PriceFeeds) -> YahooChartProvider:
    return YahooChartProvider(feeds.clients["yahoo"], YAHOO)


def _client(
    http: httpx.Client, *, max_wait: float = 10, max_concurrency: int = 2, timeout: float = 2.0
) -> FeedClient:
    breaker = CircuitBreaker("feed", failure_threshold=5, cooldown_seconds=60)
    return FeedClient(
        "feed",
        http,
        breaker=breaker,
        max_concurrency=max_concurrency,
        retry=RetryPolicy(attempts=3, max_wait=max_wait),
        timeout_seconds=timeout,
    )


def _failure(retry_after: float | None) -> Exception:
    return _RetryableFailure("HTTP 429", retry_after=retry_after)


KINDS = [("fund", "YAC"), ("stock", "AAPL"), ("metal", "XAU"), ("crypto", "BTC"), ("fx", "USDTRY")]


@pytest.mark.parametrize(("kind", "symbol"), KINDS)
@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.Response(429, text="Too Many Requests"),
        httpx.Response(503, text="down"),
    ],
    ids=["timeout", "connect-error", "429", "503"],
)
def test_every_kind_reports_an_unreachable_feed_as_unavailable(
    feeds, feed_mock, kind, symbol, failure
) -> None:
    every_host = feed_mock.route(host__regex=r".*\.test$")
    if isinstance(failure, Exception):
        every_host.mock(side_effect=failure)
    else:
        every_host.mock(return_value=failure)

    with pytest.raises(FeedUnavailable):
        feeds.for_kind(kind).latest(symbol)

    assert every_host.call_count >= 3  # retried before giving up


@pytest.mark.parametrize(("kind", "symbol"), KINDS)
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(
            200, text="<html><body>Maintenance</body></html>", headers={"content-type": "text/html"}
        ),
        httpx.Response(200, text=""),
        httpx.Response(200, text='{"truncated": ', headers={"content-type": "application/json"}),
    ],
    ids=["html-200", "empty-200", "garbage-200"],
)
def test_every_kind_refuses_a_nonsense_answer(feeds, feed_mock, kind, symbol, answer) -> None:
    feed_mock.route(host__regex=r".*\.test$").mock(return_value=answer)

    # A single source reports a data error; a composite reports that no source was usable.
    with pytest.raises((FeedDataError, FeedUnavailable)):
        feeds.for_kind(kind).latest(symbol)
