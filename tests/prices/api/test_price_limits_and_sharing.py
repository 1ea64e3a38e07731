"""Per-user rate limit of the price routes, the quote cache shared through Redis by two app
instances, and the history backfill scheduled when an asset is created."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import redis
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portfolio_tracker.app import create_app
from portfolio_tracker.db.models import PriceHistory
from portfolio_tracker.prices.feed_settings import FeedSettings
from portfolio_tracker.prices.providers.registry import build_price_feeds
from recordings import ECB, STOOQ, TCMB, TEFAS, YAHOO, json_response, text_response

if TYPE_CHECKING:
    from support import ApiUser

TEFAS_API = f"{TEFAS}/api/funds/fonFiyatBilgiGetir"
CHART = f"{YAHOO}/v8/finance/chart"
# The exchange rates a new asset needs (USD/TRY for these): here the rate feeds are down.
FX_FEEDS = (rf"^{ECB}/stats/eurofxref/", rf"^{TCMB}/kurlar/")


def signed_up(app: FastAPI) -> tuple[TestClient, dict[str, str]]:
    client = TestClient(app)
    email = f"p-{uuid.uuid4().hex[:8]}@example.com"
    body = client.post(
        "/api/auth/signup", json={"email": email, "password": "a perfectly fine passphrase"}
    ).json()
    return client, {"Authorization": f"Bearer {body['token']}"}


def stored(engine: Engine) -> list[tuple[str, str, date, Decimal]]:
    with Session(engine) as db:
        return [
            tuple(r)
            for r in db.execute(  # type: ignore[misc]
                select(
                    PriceHistory.source, PriceHistory.symbol, PriceHistory.day, PriceHistory.close
                ).order_by(PriceHistory.day)
            )
        ]


def test_the_rate_limit_answers_429_with_retry_after(
    settings_factory: Callable[..., Any],
    engine: Engine,
    feeds: Any,
    feed_settings: FeedSettings,
    feed_mock: respx.MockRouter,
) -> None:
    feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_yac_month.json"))
    app = create_app(
        settings_factory(price_rate_limit="2/minute"),
        engine,
        feed_settings=feed_settings,
        feeds=feeds,
    )
    client, headers = signed_up(app)
    other, other_headers = signed_up(app)

    answers = [client.get("/api/prices/fund?code=YAC", headers=headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2].headers["retry-after"]) <= 60
    assert "detail" in answers[2].json()
    # The limit is per user: another caller is not affected.
    assert other.get("/api/prices/fund?code=YAC", headers=other_headers).status_code == 200


@pytest.mark.redis
def test_two_app_instances_share_one_feed_call_through_redis(
    redis_url: str,
    settings_factory: Callable[..., Any],
    engine: Engine,
    feed_settings: FeedSettings,
    http: httpx.Client,
    feed_mock: respx.MockRouter,
) -> None:
    server = redis.Redis.from_url(redis_url)
    for key in server.scan_iter("pt:quote:*"):
        server.delete(key)
    route = feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_yac_month.json"))
    settings = settings_factory(
        redis_url=redis_url, rate_limit_key_prefix=f"pt-test-{uuid.uuid4().hex[:8]}"
    )
    first = create_app(
        settings,
        engine,
        feed_settings=feed_settings,
        feeds=build_price_feeds(feed_settings, http=http),
    )
    second = create_app(
        settings,
        engine,
        feed_settings=feed_settings,
        feeds=build_price_feeds(feed_settings, http=http),
    )
    client, headers = signed_up(first)

    one = client.get("/api/prices/fund?code=YAC", headers=headers)
    two = TestClient(second).get("/api/prices/fund?code=YAC", headers=headers)

    assert one.status_code == two.status_code == 200
    assert route.call_count == 1
    assert one.json() == two.json()
    assert 0 < int(two.headers["cache-control"].split("max-age=")[1]) <= 300


def test_creating_an_asset_with_a_ticker_backfills_its_history(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    route = feed_mock.get(f"{CHART}/AAPL").mock(
        return_value=json_response("yahoo_aapl_history.json")
    )
    for fx_feed in FX_FEEDS:
        feed_mock.get(url__regex=fx_feed).mock(return_value=httpx.Response(503))

    asset = alice.create_asset(name="Apple", type="stock", ticker_symbol="aapl", currency="USD")

    assert asset["effective_price_source"] == "yahoo"
    assert route.called
    rows = stored(engine)
    assert rows and {(r[0], r[1]) for r in rows} == {("yahoo", "AAPL")}
    assert all(r[3] > 0 for r in rows)


def test_a_failing_backfill_never_fails_the_asset_creation(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=httpx.Response(500))
    feed_mock.get(f"{STOOQ}/q/d/l/").mock(return_value=text_response("stooq_limit.txt"))
    for fx_feed in FX_FEEDS:
        feed_mock.get(url__regex=fx_feed).mock(return_value=httpx.Response(503))

    asset = alice.create_asset(name="Apple", type="stock", ticker_symbol="AAPL")

    assert asset["name"] == "Apple"
    assert stored(engine) == []


@pytest.mark.parametrize(
    ("fields", "effective"),
    [
        ({"type": "stock"}, None),
        ({"type": "stock", "ticker_symbol": "AAPL", "price_source": "manual"}, "manual"),
        ({"type": "fund", "ticker_symbol": "YAC", "price_source": "manual"}, "manual"),
        ({"type": "crypto", "price_source": "manual"}, "manual"),
    ],
)
def test_assets_no_feed_prices_schedule_nothing(
    alice: ApiUser, feed_mock: respx.MockRouter, fields: dict[str, str], effective: str | None
) -> None:
    asset = alice.create_asset(name="X", **fields)

    assert asset["effective_price_source"] == effective
    assert not feed_mock.calls
