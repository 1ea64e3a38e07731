"""Fixtures of the price-feed tests: the providers alone, on a fake clock.

Every base URL points at a ``.test`` host and respx refuses any request it has no route
for, so no test can reach a real feed (`feed_mock`, `http` and the no-backoff retries come
from tests/prices/conftest.py). Here `settings` are feed settings, not app settings.
"""

from __future__ import annotations

import httpx
import pytest

from portfolio_tracker.prices.feed_settings import FeedSettings
from portfolio_tracker.prices.providers.registry import PriceFeeds, build_price_feeds
from recordings import FakeClock
from replayed_feeds import replay_feed_settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> FeedSettings:
    return replay_feed_settings(
        feed_retry_attempts=3,
        feed_max_concurrency=2,
        feed_breaker_failures=3,
        feed_breaker_cooldown_seconds=30.0,
    )


@pytest.fixture
def feeds(settings: FeedSettings, http: httpx.Client, clock: FakeClock) -> PriceFeeds:
    return build_price_feeds(settings, http=http, clock=clock)
