"""The price endpoints through the real app, with the feeds replayed by respx.

Every feed base URL is a `.test` host and respx refuses unmocked requests, so nothing here
can reach the internet. The recordings are the provider tests' (tests/prices/fixtures).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import stamina
from fastapi import FastAPI
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "prices"))

from recordings import COINGECKO, ECB, STOOQ, TCMB, TEFAS, YAHOO

from portfolio_tracker.app import create_app
from portfolio_tracker.prices.feed_settings import FeedSettings
from portfolio_tracker.prices.providers.registry import PriceFeeds, build_price_feeds
from portfolio_tracker.settings import Settings


@pytest.fixture(autouse=True)
def no_backoff_sleep() -> Iterator[None]:
    with stamina.set_testing(True, attempts=10, cap=True):
        yield


@pytest.fixture
def feed_mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def replay_feed_settings() -> FeedSettings:
    return FeedSettings(
        _env_file=None,  # type: ignore[call-arg]
        tefas_base_url=TEFAS, yahoo_base_url=YAHOO, stooq_base_url=STOOQ,
        coingecko_base_url=COINGECKO, tcmb_base_url=TCMB, ecb_base_url=ECB,
        feed_timeout_seconds=2.0, feed_retry_attempts=2, feed_breaker_failures=50,
    )


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
    values: dict[str, Any] = {
        "database_url": engine.url.render_as_string(hide_password=False),
        "redis_url": None, "auth_rate_limit": "10000/minute",
        "price_rate_limit": "10000/minute", "trusted_origins": [], "cookie_secure": False,
        # The feeds are replayed here, so the background backfill on creation is on.
        "price_backfill_on_create": True,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return app_settings(engine)


@pytest.fixture
def app(settings: Settings, engine: Engine, feeds: PriceFeeds,
        feed_settings: FeedSettings) -> FastAPI:
    return create_app(settings, engine, feed_settings=feed_settings, feeds=feeds)


@pytest.fixture
def settings_factory(engine: Engine) -> Any:
    """Settings of the test database with overrides: ``settings_factory(redis_url=...)``."""
    return lambda **overrides: app_settings(engine, **overrides)
