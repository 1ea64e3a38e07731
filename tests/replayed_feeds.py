"""Fixtures for tests that run the app against replayed price feeds (respx).

Every feed base URL is a `.test` host and respx refuses unmocked requests, so nothing here
can reach the internet. The recordings are tests/prices/fixtures, read through
tests/recordings.py. A conftest uses them by importing the fixtures it wants
(tests/prices/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
import stamina
from fastapi import FastAPI
from sqlalchemy import Engine

from portfolio_tracker.app import create_app
from portfolio_tracker.prices.feed_settings import FeedSettings
from portfolio_tracker.prices.providers.registry import PriceFeeds, build_price_feeds
from portfolio_tracker.settings import Settings
from recordings import COINGECKO, ECB, STOOQ, TCMB, TEFAS, YAHOO
from support import make_settings


@pytest.fixture(autouse=True)
def no_backoff_sleep() -> Iterator[None]:
    with stamina.set_testing(True, attempts=10, cap=True):
        yield


@pytest.fixture
def feed_mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def replay_feed_settings(**overrides: Any) -> FeedSettings:
    """Feed settings pointing every feed at its `.test` host (with ``overrides``)."""
    values: dict[str, Any] = {
        "tefas_base_url": TEFAS,
        "yahoo_base_url": YAHOO,
        "stooq_base_url": STOOQ,
        "coingecko_base_url": COINGECKO,
        "tcmb_base_url": TCMB,
        "ecb_base_url": ECB,
        "feed_timeout_seconds": 2.0,
        "feed_retry_attempts": 2,
        "feed_breaker_failures": 50,
    }
    values.update(overrides)
    return FeedSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def feed_settings() -> FeedSettings:
    return replay_feed_settings()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0) as client:
        yield client


@pytest.fixture
def feeds(feed_settings: FeedSettings, http: httpx.Client) -> PriceFeeds:
    return build_price_feeds(feed_settings, http=http)


def app_settings(engine: Engine, **overrides: Any) -> Settings:
    """The shared test settings, no price rate limit to speak of, and the background
    backfill on creation on (the feeds are replayed, so it reaches nothing outside)."""
    values: dict[str, Any] = {"price_rate_limit": "10000/minute", "price_backfill_on_create": True}
    values.update(overrides)
    return make_settings(engine, **values)


@pytest.fixture
def app(
    settings: Settings, engine: Engine, feeds: PriceFeeds, feed_settings: FeedSettings
) -> FastAPI:
    return create_app(settings, engine, feed_settings=feed_settings, feeds=feeds)


@pytest.fixture
def settings_factory(engine: Engine) -> Any:
    """Settings of the test database with overrides: ``settings_factory(redis_url=...)``."""
    return lambda **overrides: app_settings(engine, **overrides)
