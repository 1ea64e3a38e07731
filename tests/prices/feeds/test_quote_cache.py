from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import redis

from portfolio_tracker.prices.providers.base import Quote, SymbolNotFound
from portfolio_tracker.prices.quote_cache import (
    REDIS_PREFIX,
    CachedProvider,
    InMemoryQuoteCache,
    RedisQuoteCache,
    build_quote_cache,
    quote_from_json,
    quote_to_json,
)
from recordings import STOOQ, YAHOO, FakeClock, json_response, text_response

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"
AAPL = f"{YAHOO}/v8/finance/chart/AAPL"
QUOTE = Quote(
    "AAPL",
    Decimal("231.400000000000000001"),
    "USD",
    datetime(2026, 11, 24, 21, 0, tzinfo=UTC),
    "yahoo",
)


def test_memory_cache_serves_until_the_ttl_ends(clock: FakeClock) -> None:
    cache = InMemoryQuoteCache(ttl_seconds=60, clock=clock)
    cache.set("stock:AAPL", QUOTE)

    clock.advance(59.9)
    assert cache.get("stock:AAPL") == QUOTE
    clock.advance(0.1)
    assert cache.get("stock:AAPL") is None
    assert cache.get("stock:MSFT") is None


def test_a_second_call_within_the_ttl_does_not_call_the_feed(feeds, feed_mock, clock) -> None:
    route = feed_mock.get(AAPL).mock(return_value=json_response("yahoo_aapl_history.json"))
    stock = CachedProvider(feeds.stock, InMemoryQuoteCache(300, clock=clock), "stock")

    first = stock.latest("AAPL")
    second = stock.latest("aapl")

    assert first == second
    assert route.call_count == 1
    clock.advance(301)
    stock.latest("AAPL")
    assert route.call_count == 2


def test_errors_are_not_cached(feeds, feed_mock, clock) -> None:
    route = feed_mock.get(f"{YAHOO}/v8/finance/chart/ZZZZ").mock(
        return_value=json_response("yahoo_not_found.json", 404)
    )
    feed_mock.get(f"{STOOQ}/q/l/").mock(return_value=text_response("stooq_unknown_latest.csv"))
    stock = CachedProvider(feeds.stock, InMemoryQuoteCache(300, clock=clock), "stock")

    for _ in range(2):
        with pytest.raises(SymbolNotFound):
            stock.latest("ZZZZ")

    assert route.call_count == 2


def test_the_json_form_keeps_the_decimal_exact() -> None:
    text = quote_to_json(QUOTE)

    assert json.loads(text)["price"] == "231.400000000000000001"
    assert quote_from_json(text) == QUOTE


@pytest.mark.parametrize(
    "text",
    [
        '{"price": 1.5}',
        "not json",
        '{"symbol":"A","price":"NaN","currency":"USD",'
        '"as_of":"2026-11-24T21:00:00+00:00","source":"x"}',
        '{"symbol":"A","price":"1","currency":"USD","as_of":"2026-11-24T21:00:00","source":"x"}',
    ],
)
def test_foreign_cache_values_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        quote_from_json(text)


def test_without_a_redis_url_the_cache_is_in_process() -> None:
    assert isinstance(build_quote_cache(None, 60), InMemoryQuoteCache)
    assert isinstance(build_quote_cache("redis://127.0.0.1:6379/15", 60), RedisQuoteCache)


def test_an_unreachable_redis_degrades_to_no_cache(caplog) -> None:
    cache = build_quote_cache("redis://127.0.0.1:1/15", 60)

    with caplog.at_level(logging.WARNING):
        cache.set("stock:AAPL", QUOTE)
        assert cache.get("stock:AAPL") is None

    # One failure, one line: the breaker then keeps the cache off Redis for the cool-down.
    assert caplog.text.count("redis: quote cache write failed") == 1
    assert "redis: quote cache read" not in caplog.text


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_URL} unreachable ({type(exc).__name__})"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true requires it")
        pytest.skip(reason)
    yield client
    client.close()


@pytest.fixture
def namespace(redis_client: redis.Redis) -> Iterator[str]:
    """A key space of our own under pt:quote:, deleted afterwards (nothing else is)."""
    name = f"test-{uuid.uuid4().hex}"
    yield name
    for key in redis_client.scan_iter(match=f"{REDIS_PREFIX}{name}:*"):
        redis_client.delete(key)


@pytest.mark.redis
def test_redis_round_trip_with_setex(redis_client, namespace) -> None:
    cache = RedisQuoteCache(redis_client, ttl_seconds=120)
    cache.set(f"{namespace}:stock:AAPL", QUOTE)

    key = f"{REDIS_PREFIX}{namespace}:stock:AAPL"
    assert 0 < redis_client.ttl(key) <= 120
    assert json.loads(redis_client.get(key))["price"] == "231.400000000000000001"
    assert cache.get(f"{namespace}:stock:AAPL") == QUOTE


@pytest.mark.redis
def test_two_processes_share_one_feed_call(redis_client, namespace, feeds, feed_mock) -> None:
    route = feed_mock.get(AAPL).mock(return_value=json_response("yahoo_aapl_history.json"))
    # Two app processes: separate cache objects and connections over the same Redis.
    first = CachedProvider(feeds.stock, build_quote_cache(REDIS_URL, 120), f"{namespace}:stock")
    second = CachedProvider(feeds.stock, build_quote_cache(REDIS_URL, 120), f"{namespace}:stock")

    assert first.latest("AAPL") == second.latest("AAPL")
    assert route.call_count == 1


@pytest.mark.redis
def test_a_corrupt_redis_value_is_ignored(redis_client, namespace, caplog) -> None:
    redis_client.set(f"{REDIS_PREFIX}{namespace}:stock:AAPL", b"\x00garbage")
    cache = RedisQuoteCache(redis_client, ttl_seconds=120)

    with caplog.at_level(logging.WARNING):
        assert cache.get(f"{namespace}:stock:AAPL") is None

    assert "ignoring entry" in caplog.text
