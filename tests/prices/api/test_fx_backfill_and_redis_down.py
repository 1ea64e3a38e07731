"""Through the app: the exchange rates a new asset or an old trade needs are fetched in the
background (so the portfolio values a foreign holding without `prices backfill`), an
explicit Stooq asset is fetched from Stooq alone, the price routes keep answering with
Redis down, and shutdown closes the Redis connections."""

from __future__ import annotations

import socket
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
from portfolio_tracker.db.models import DataVersion, ExchangeRate, PriceHistory
from portfolio_tracker.prices import storage
from portfolio_tracker.prices.feed_settings import FeedSettings
from portfolio_tracker.prices.providers.registry import PriceFeeds
from portfolio_tracker.settings import Settings
from recordings import (
    ECB,
    STOOQ,
    TCMB,
    TEFAS,
    YAHOO,
    html_response,
    json_response,
    text_response,
    xml_response,
)

if TYPE_CHECKING:
    from support import ApiUser

CHART = f"{YAHOO}/v8/finance/chart"
TEFAS_API = f"{TEFAS}/api/funds/fonFiyatBilgiGetir"
ECB_HISTORY = rf"^{ECB}/stats/eurofxref/eurofxref-hist(-90d)?\.xml$"
TCMB_ARCHIVE = rf"^{TCMB}/kurlar/\d{{6}}/\d{{8}}\.xml$"


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory(price_backfill_on_create=True)


def mock_fx_history(
    feed_mock: respx.MockRouter, ecb_answer: httpx.Response | None = None
) -> respx.Route:
    """The ECB history files (long and 90-day) answer the recording; TCMB has no bulletin
    for any day (the recordings' days depend on today's date)."""
    feed_mock.get(url__regex=TCMB_ARCHIVE).mock(
        return_value=html_response("tcmb_not_found.html", 404)
    )
    return feed_mock.get(url__regex=ECB_HISTORY).mock(
        return_value=ecb_answer or xml_response("ecb_hist_90d.xml")
    )


def usd_try_days(engine: Engine) -> set[date]:
    with Session(engine) as db:
        return set(
            db.scalars(
                select(ExchangeRate.day).where(
                    ExchangeRate.base == "USD", ExchangeRate.quote == "TRY"
                )
            )
        )


def prices_version(engine: Engine) -> int:
    with Session(engine) as db:
        return db.scalar(select(DataVersion.version).where(DataVersion.scope == "prices")) or 0


def holding(user: ApiUser, asset_id: str) -> dict[str, Any]:
    response = user.get("/api/portfolio")
    assert response.status_code == 200, response.text
    [row] = [h for h in response.json()["holdings"] if h["asset_id"] == asset_id]
    return row  # type: ignore[no-any-return]


# -- exchange rates on asset creation ------------------------------------------------------


def test_a_usd_stock_of_a_try_user_is_valued_without_a_manual_backfill(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=json_response("yahoo_aapl_history.json"))
    ecb = mock_fx_history(feed_mock)

    asset = alice.create_asset(name="Apple", type="stock", ticker_symbol="AAPL", currency="USD")

    assert ecb.call_count == 1
    # The recording's USD/TRY cross rates (the 18th has no TRY rate, the 19th no USD one).
    assert usd_try_days(engine) == {date(2026, 11, 17), date(2026, 11, 20), date(2026, 11, 24)}
    version = prices_version(engine)
    assert version > 0

    bought = alice.trade(asset["id"], "buy", "2", "200", "2026-11-18T15:00:00Z")

    assert bought.status_code == 201, bought.text
    assert ecb.call_count == 1  # the trade's day is covered: nothing fetched again
    apple = holding(alice, asset["id"])
    assert apple["unpriced_reason"] is None
    assert apple["market_value"] is not None and apple["price_currency"] == "USD"


def test_a_metal_priced_in_usd_gets_usd_try_even_when_its_own_history_fails(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=httpx.Response(500))
    feed_mock.get(f"{STOOQ}/q/d/l/").mock(return_value=text_response("stooq_limit.txt"))
    ecb = mock_fx_history(feed_mock)

    asset = alice.create_asset(name="Gram gold", type="metal", unit="gram")  # a TRY asset

    assert asset["currency"] == "TRY"
    assert ecb.call_count == 1 and usd_try_days(engine)


def test_a_try_fund_of_a_try_user_needs_no_rates(
    alice: ApiUser, feed_mock: respx.MockRouter
) -> None:
    feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_yac_month.json"))
    ecb = mock_fx_history(feed_mock)

    alice.create_asset(name="YAC", type="fund", ticker_symbol="YAC")

    assert not ecb.called


def test_a_manual_usd_asset_of_a_eur_user_gets_usd_eur(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    assert alice.put("/api/settings", json={"base_currency": "EUR"}).status_code == 200
    ecb = mock_fx_history(feed_mock)

    alice.create_asset(name="Unlisted", type="stock", currency="USD", price_source="manual")

    assert ecb.call_count == 1
    with Session(engine) as db:
        pairs = {tuple(r) for r in db.execute(select(ExchangeRate.base, ExchangeRate.quote))}
    assert pairs == {("USD", "EUR")}


def test_nothing_is_fetched_when_the_setting_is_off(
    settings_factory: Callable[..., Settings],
    engine: Engine,
    feeds: PriceFeeds,
    feed_settings: FeedSettings,
    feed_mock: respx.MockRouter,
) -> None:
    app = create_app(
        settings_factory(price_backfill_on_create=False),
        engine,
        feed_settings=feed_settings,
        feeds=feeds,
    )
    client, headers = signed_up(app)

    asset = client.post(
        "/api/assets",
        headers=headers,
        json={"name": "Apple", "type": "stock", "ticker_symbol": "AAPL", "currency": "USD"},
    ).json()
    bought = client.post(
        "/api/transactions",
        headers=headers,
        json={
            "asset_id": asset["id"],
            "type": "buy",
            "quantity": "1",
            "price_per_unit": "1",
            "transaction_date": "2020-01-02",
        },
    )

    assert bought.status_code == 201
    assert not feed_mock.calls


# -- exchange rates for an old transaction -------------------------------------------------


def test_a_trade_older_than_the_stored_rates_fetches_the_missing_ones(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    # The ECB is down when the asset is created; the refresh job later stored recent rates.
    ecb = mock_fx_history(feed_mock, httpx.Response(503))
    asset = alice.create_asset(name="Unlisted", type="stock", currency="USD", price_source="manual")
    assert usd_try_days(engine) == set()
    with Session(engine) as db:
        storage.store_rates(
            db, [storage.Rate("USD", "TRY", date(2026, 11, 24), Decimal("42.4102"), "tcmb")]
        )
        db.commit()
    priced = alice.post(
        "/api/prices/manual",
        json={"asset_id": asset["id"], "date": "2026-11-24", "price": "10", "currency": "USD"},
    )
    assert priced.status_code == 201, priced.text
    ecb.mock(return_value=xml_response("ecb_hist_90d.xml"))  # the ECB is back
    calls = ecb.call_count

    bought = alice.trade(asset["id"], "buy", "3", "9", "2026-11-17T12:00:00Z")

    assert bought.status_code == 201, bought.text
    assert ecb.call_count == calls + 1
    assert date(2026, 11, 17) in usd_try_days(engine)
    row = holding(alice, asset["id"])
    assert row["unpriced_reason"] is None and row["cost_basis"] is not None

    again = alice.trade(asset["id"], "buy", "1", "9", "2026-11-20T12:00:00Z")

    assert again.status_code == 201
    assert ecb.call_count == calls + 1  # covered now


def test_a_try_trade_of_a_try_user_fetches_nothing(
    alice: ApiUser, feed_mock: respx.MockRouter
) -> None:
    asset = alice.create_asset(name="Gold at home", type="stock", price_source="manual")

    bought = alice.trade(asset["id"], "buy", "1", "100", "2001-01-02")

    assert bought.status_code == 201
    assert not feed_mock.calls


# -- an explicit feed ----------------------------------------------------------------------


def test_a_stooq_asset_is_backfilled_from_stooq_alone_and_valued_from_it(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    yahoo = feed_mock.get(f"{CHART}/AAPL").mock(
        return_value=json_response("yahoo_aapl_history.json")
    )
    stooq = feed_mock.get(f"{STOOQ}/q/d/l/").mock(
        return_value=text_response("stooq_aapl_daily.csv")
    )
    mock_fx_history(feed_mock)

    asset = alice.create_asset(
        name="Apple", type="stock", ticker_symbol="AAPL", currency="USD", price_source="stooq"
    )

    assert asset["effective_price_source"] == "stooq"
    assert stooq.call_count == 1 and not yahoo.called
    with Session(engine) as db:
        sources = set(db.scalars(select(PriceHistory.source).distinct()))
    assert sources == {"stooq"}
    alice.trade(asset["id"], "buy", "1", "200", "2026-11-18T15:00:00Z")
    apple = holding(alice, asset["id"])
    assert apple["price"] is not None and apple["unpriced_reason"] is None


# -- Redis down ----------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def signed_up(app: FastAPI) -> tuple[TestClient, dict[str, str]]:
    client = TestClient(app)
    body = client.post(
        "/api/auth/signup",
        json={
            "email": f"r-{uuid.uuid4().hex[:8]}@example.com",
            "password": "a perfectly fine passphrase",
        },
    ).json()
    return client, {"Authorization": f"Bearer {body['token']}"}


@pytest.fixture
def redis_down_app(
    settings_factory: Callable[..., Settings],
    engine: Engine,
    feeds: PriceFeeds,
    feed_settings: FeedSettings,
) -> FastAPI:
    """An app whose REDIS_URL points to a local port nobody listens on: the quote cache,
    the price rate limit and the portfolio cache all fail on every Redis call."""
    settings = settings_factory(
        redis_url=f"redis://127.0.0.1:{closed_port()}/0",
        price_rate_limit="3/minute",
        price_backfill_on_create=False,
    )
    return create_app(settings, engine, feed_settings=feed_settings, feeds=feeds)


def test_price_routes_degrade_to_the_feed_and_stored_prices_when_redis_is_down(
    alice: ApiUser,
    redis_down_app: FastAPI,
    feed_mock: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tefas = feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_yac_month.json"))
    client = TestClient(redis_down_app)  # alice signed up through the app without Redis

    first = client.get("/api/prices/fund?code=YAC", headers=alice.headers)
    second = client.get("/api/prices/fund?code=YAC", headers=alice.headers)
    tefas.mock(return_value=httpx.Response(503))
    stale = client.get("/api/prices/fund?code=YAC", headers=alice.headers)
    limited = client.get("/api/prices/fund?code=YAC", headers=alice.headers)

    assert [r.status_code for r in (first, second, stale)] == [200, 200, 200]
    assert first.json()["price"] == second.json()["price"] == "3.163587"
    assert tefas.call_count >= 2  # no cache: each request asks the feed
    assert (stale.json()["stale"], stale.json()["price"]) == (True, "3.163587")
    # The rate limit still holds, counted in process.
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert caplog.text.count("redis: ") == 1 and "working in process" in caplog.text
    assert client.get("/api/portfolio", headers=alice.headers).status_code == 200


def test_metal_in_try_with_redis_down_uses_the_feeds(
    alice: ApiUser,
    redis_down_app: FastAPI,
    feed_mock: respx.MockRouter,
) -> None:
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=json_response("yahoo_gc_f.json"))
    feed_mock.get(f"{TCMB}/kurlar/today.xml").mock(return_value=xml_response("tcmb_today.xml"))

    response = TestClient(redis_down_app).get(
        "/api/prices/metal?symbol=XAU&unit=gram&currency=TRY", headers=alice.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["source"] == "yahoo:GC=F; fx tcmb"


def test_a_price_refresh_through_the_app_service_survives_redis_down(
    alice: ApiUser,
    redis_down_app: FastAPI,
    feed_mock: respx.MockRouter,
    engine: Engine,
) -> None:
    from portfolio_tracker.prices.refresh import refresh_latest

    alice.create_asset(name="THY", type="stock", ticker_symbol="THYAO.IS")
    feed_mock.get(f"{CHART}/THYAO.IS").mock(return_value=json_response("yahoo_thyao_5d.json"))
    feed_mock.get(f"{TCMB}/kurlar/today.xml").mock(return_value=xml_response("tcmb_today.xml"))
    feed_mock.get(f"{ECB}/stats/eurofxref/eurofxref-daily.xml").mock(
        return_value=xml_response("ecb_daily.xml")
    )
    state = redis_down_app.state

    report = refresh_latest(state.core.session_factory, state.prices.service)

    assert report.failed == 0
    with Session(engine) as db:
        assert db.scalar(select(PriceHistory.symbol)) == "THYAO.IS"


# -- shutdown ------------------------------------------------------------------------------


def test_shutdown_closes_every_redis_client(
    settings_factory: Callable[..., Settings],
    engine: Engine,
    feeds: PriceFeeds,
    feed_settings: FeedSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[int] = []
    real_close = redis.Redis.close

    def close(self: redis.Redis) -> None:
        closed.append(id(self))
        real_close(self)

    monkeypatch.setattr(redis.Redis, "close", close)
    app = create_app(
        settings_factory(redis_url=f"redis://127.0.0.1:{closed_port()}/0"),
        engine,
        feed_settings=feed_settings,
        feeds=feeds,
    )
    throttle = app.state.prices.throttle

    with TestClient(app):
        assert closed == []

    # The quote cache, the price and sign-in rate limits and the portfolio cache.
    assert len(set(closed)) == 4
    assert id(throttle.limiter.storage.get_connection()) in closed


@pytest.mark.redis
def test_shutdown_releases_the_connections_to_a_real_redis(
    redis_url: str,
    settings_factory: Callable[..., Settings],
    engine: Engine,
    feeds: PriceFeeds,
    feed_settings: FeedSettings,
    feed_mock: respx.MockRouter,
) -> None:
    feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_yac_month.json"))
    settings = settings_factory(
        redis_url=redis_url,
        price_backfill_on_create=False,
        rate_limit_key_prefix=f"pt-test-{uuid.uuid4().hex[:8]}",
    )
    app = create_app(settings, engine, feed_settings=feed_settings, feeds=feeds)
    pool = app.state.prices.quote_cache._redis.connection_pool

    def open_sockets() -> int:
        return sum(1 for c in pool._available_connections if c._sock is not None)

    with TestClient(app) as client:
        headers = signed_up(app)[1]
        assert client.get("/api/prices/fund?code=YAC", headers=headers).status_code == 200
        assert open_sockets() > 0

    assert open_sockets() == 0
