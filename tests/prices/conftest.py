"""Fixtures of the price-feed tests: fake hosts, replayed recordings, a fake clock.

Every base URL points at a ``.test`` host and respx refuses any request it has no route
for, so no test can reach a real feed.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx
import stamina
from recordings import COINGECKO, ECB, STOOQ, TCMB, TEFAS, YAHOO, FakeClock

from portfolio_tracker.prices.feed_settings import FeedSettings
from portfolio_tracker.prices.providers.registry import PriceFeeds, build_price_feeds


@pytest.fixture(autouse=True)
def no_backoff_sleep() -> Iterator[None]:
    # stamina's test mode: no waiting between attempts; cap=True keeps our own attempt
    # counts (min(10, configured)) so retry behaviour is still exercised.
    with stamina.set_testing(True, attempts=10, cap=True):
        yield


@pytest.fixture
def feed_mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> FeedSettings:
    return FeedSettings(
        _env_file=None,  # type: ignore[call-arg]
        tefas_base_url=TEFAS,
        yahoo_base_url=YAHOO,
        stooq_base_url=STOOQ,
        coingecko_base_url=COINGECKO,
        tcmb_base_url=TCMB,
        ecb_base_url=ECB,
        feed_timeout_seconds=2.0,
        feed_retry_attempts=3,
        feed_max_concurrency=2,
        feed_breaker_failures=3,
        feed_breaker_cooldown_seconds=30.0,
    )


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0) as client:
        yield client


@pytest.fixture
def feeds(settings: FeedSettings, http: httpx.Client, clock: FakeClock) -> PriceFeeds:
    return build_price_feeds(settings, http=http, clock=clock)
