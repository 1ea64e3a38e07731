from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from portfolio_tracker.prices.providers.base import (
    FeedDataError,
    FeedUnavailable,
    PricePoint,
    SymbolNotFound,
)
from portfolio_tracker.prices.providers.coingecko import CoinGeckoProvider
from portfolio_tracker.prices.providers.registry import PriceFeeds
from recordings import COINGECKO, TODAY, FakeClock, html_response, json_response

PRICE = f"{COINGECKO}/simple/price"
LIST = f"{COINGECKO}/coins/list"


@pytest.fixture
def gecko(feeds: PriceFeeds, clock: FakeClock) -> CoinGeckoProvider:
    return CoinGeckoProvider(
        feeds.clients["coingecko"],
        COINGECKO,
        api_key="CG-secret-key",
        clock=clock,
        today=lambda: TODAY,
    )


def test_latest_btc_in_usd_keeps_every_digit(gecko, feed_mock, caplog) -> None:
    route = feed_mock.get(PRICE).mock(
        return_value=json_response("coingecko_simple_price_btc_usd.json")
    )

    with caplog.at_level(logging.DEBUG):
        quote = gecko.latest("BTC")

    assert quote.price == Decimal("97012.123456789012")  # exact: never through float
    assert (quote.symbol, quote.currency, quote.source) == ("BTC-USD", "USD", "coingecko")
    assert quote.as_of == datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    request = route.calls.last.request
    assert dict(request.url.params) == {
        "ids": "bitcoin",
        "vs_currencies": "usd",
        "include_last_updated_at": "true",
        "precision": "full",
    }
    assert request.headers["x-cg-demo-api-key"] == "CG-secret-key"
    assert "CG-secret-key" not in caplog.text


def test_latest_in_try(gecko, feed_mock) -> None:
    feed_mock.get(PRICE).mock(return_value=json_response("coingecko_simple_price_btc_try.json"))

    quote = gecko.latest("btc-try")

    assert (quote.symbol, quote.price, quote.currency) == ("BTC-TRY", Decimal("4117402.3"), "TRY")


def test_pro_host_gets_the_pro_header(feeds, feed_mock) -> None:
    pro = "https://pro-api.coingecko.test/api/v3"
    gecko = CoinGeckoProvider(feeds.clients["coingecko"], pro, api_key="CG-pro")
    route = feed_mock.get(f"{pro}/simple/price").mock(
        return_value=json_response("coingecko_simple_price_btc_usd.json")
    )

    gecko.latest("BTC")

    assert route.calls.last.request.headers["x-cg-pro-api-key"] == "CG-pro"


def test_history_keeps_the_last_valid_point_of_each_utc_day(gecko, feed_mock, caplog) -> None:
    route = feed_mock.get(f"{COINGECKO}/coins/bitcoin/market_chart/range").mock(
        return_value=json_response("coingecko_market_chart_range_btc.json")
    )

    with caplog.at_level(logging.WARNING):
        points = gecko.history("BTC", date(2026, 11, 20), date(2026, 11, 22))

    assert points == [
        PricePoint("BTC-USD", date(2026, 11, 20), Decimal("92011.5"), "USD", "coingecko"),
        PricePoint("BTC-USD", date(2026, 11, 21), Decimal("92020.0"), "USD", "coingecko"),
        PricePoint("BTC-USD", date(2026, 11, 22), Decimal("90988.13"), "USD", "coingecko"),
    ]
    # null, -1, "NaN" and 1e20 are each skipped and logged.
    assert caplog.text.count("skipped point") == 4
    params = route.calls.last.request.url.params
    assert params["vs_currency"] == "usd"
    assert int(params["from"]) == int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())
    assert int(params["to"]) == int(datetime(2026, 11, 23, tzinfo=UTC).timestamp()) - 1


def test_history_beyond_the_free_plan_is_cut_to_365_days(gecko, feed_mock) -> None:
    route = feed_mock.get(f"{COINGECKO}/coins/bitcoin/market_chart/range").mock(
        return_value=json_response("coingecko_market_chart_range_btc.json")
    )

    gecko.history("BTC", date(2016, 1, 1), TODAY)

    start = datetime.fromtimestamp(int(route.calls.last.request.url.params["from"]), UTC)
    assert start.date() == date(2025, 11, 26)


def test_a_ticker_outside_the_table_is_looked_up_once(gecko, feed_mock, clock) -> None:
    coins = feed_mock.get(LIST).mock(return_value=json_response("coingecko_coins_list.json"))
    price = feed_mock.get(PRICE).mock(
        return_value=httpx.Response(
            200, json={"pepe": {"usd": "0.00000712", "last_updated_at": 1795595400}}
        )
    )

    assert gecko.latest("PEPE").price == Decimal("0.00000712")
    gecko.latest("PEPE")
    assert coins.call_count == 1
    assert price.calls.last.request.url.params["ids"] == "pepe"

    clock.advance(25 * 3600)  # the coin list is refreshed daily
    gecko.latest("PEPE")
    assert coins.call_count == 2


def test_an_ambiguous_ticker_is_not_guessed(gecko, feed_mock) -> None:
    feed_mock.get(LIST).mock(return_value=json_response("coingecko_coins_list.json"))

    with pytest.raises(SymbolNotFound, match="ambiguous"):
        gecko.latest("UNI")


def test_an_unknown_ticker_is_not_found(gecko, feed_mock) -> None:
    feed_mock.get(LIST).mock(return_value=json_response("coingecko_coins_list.json"))

    with pytest.raises(SymbolNotFound):
        gecko.latest("NOSUCHCOIN")


def test_an_id_the_price_endpoint_omits_is_not_found(gecko, feed_mock) -> None:
    feed_mock.get(PRICE).mock(return_value=json_response("coingecko_empty.json"))

    with pytest.raises(SymbolNotFound):
        gecko.latest("ETH")


def test_a_coin_404_is_not_found(gecko, feed_mock) -> None:
    feed_mock.get(f"{COINGECKO}/coins/solana/market_chart/range").mock(
        return_value=json_response("coingecko_coin_not_found.json", 404)
    )

    with pytest.raises(SymbolNotFound):
        gecko.history("SOL", date(2026, 11, 1), TODAY)


@pytest.mark.parametrize(
    "response",
    [
        json_response("coingecko_simple_price_wrong_currency.json"),
        json_response("coingecko_simple_price_null.json"),
        httpx.Response(200, text='{"bitcoin":{"usd":NaN,"last_updated_at":1795595400}}'),
        httpx.Response(200, text='{"bitcoin":{"usd":-5,"last_updated_at":1795595400}}'),
        httpx.Response(200, text='{"bitcoin":{"usd":1e30,"last_updated_at":1795595400}}'),
        httpx.Response(200, text='{"bitcoin":{"usd":97012.5}}'),
        httpx.Response(200, text='{"bitcoin":97012.5}'),
        httpx.Response(200, text="[]"),
        httpx.Response(200, text='{"bitcoin":'),
        httpx.Response(200, text=""),
        html_response("tefas_waf.html"),
        json_response("coingecko_plan_limit.json", 401),
    ],
    ids=[
        "wrong-currency",
        "null",
        "nan",
        "negative",
        "absurd",
        "no-timestamp",
        "not-an-object",
        "array",
        "truncated",
        "empty",
        "html",
        "plan-limit",
    ],
)
def test_untrusted_answers_are_rejected(gecko, feed_mock, response) -> None:
    feed_mock.get(PRICE).mock(return_value=response)

    with pytest.raises(FeedDataError):
        gecko.latest("BTC")


def test_rate_limit_json_is_retried_then_unavailable(gecko, feed_mock) -> None:
    route = feed_mock.get(PRICE).mock(return_value=json_response("coingecko_429.json", 429))

    with pytest.raises(FeedUnavailable):
        gecko.latest("BTC")

    assert route.call_count == 3


def test_unsupported_quote_currency_is_not_found(gecko, feed_mock) -> None:
    with pytest.raises(SymbolNotFound):
        gecko.latest("BTC-JPY")
    assert not feed_mock.calls


def test_the_plan_limit_message_is_kept(gecko, feed_mock) -> None:
    feed_mock.get(f"{COINGECKO}/coins/bitcoin/market_chart/range").mock(
        return_value=json_response("coingecko_plan_limit.json", 401)
    )

    with pytest.raises(FeedDataError, match="exceeds the allowed time range"):
        gecko.history("BTC", date(2026, 1, 1), TODAY)
