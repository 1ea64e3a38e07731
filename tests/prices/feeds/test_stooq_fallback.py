from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from portfolio_tracker.prices.providers.base import (
    FeedDataError,
    FeedUnavailable,
    PricePoint,
    SymbolNotFound,
)
from portfolio_tracker.prices.providers.registry import PriceFeeds, build_price_feeds
from portfolio_tracker.prices.providers.stooq import StooqProvider, stooq_symbol
from recordings import STOOQ, YAHOO, html_response, json_response, text_response

DAILY = f"{STOOQ}/q/d/l/"
LATEST = f"{STOOQ}/q/l/"
CHART = f"{YAHOO}/v8/finance/chart"


@pytest.fixture
def stooq(feeds: PriceFeeds) -> StooqProvider:
    return StooqProvider(feeds.clients["stooq"], STOOQ)


def test_daily_history_from_csv(stooq, feed_mock) -> None:
    route = feed_mock.get(DAILY).mock(return_value=text_response("stooq_aapl_daily.csv"))

    points = stooq.history("AAPL", date(2026, 11, 19), date(2026, 11, 20))

    assert points == [
        PricePoint("AAPL", date(2026, 11, 19), Decimal("229.6"), "USD", "stooq"),
        PricePoint("AAPL", date(2026, 11, 20), Decimal("230.75"), "USD", "stooq"),
    ]
    assert dict(route.calls.last.request.url.params) == {
        "s": "aapl.us",
        "i": "d",
        "d1": "20261119",
        "d2": "20261120",
    }


def test_latest_quote_from_csv(stooq, feed_mock) -> None:
    route = feed_mock.get(LATEST).mock(return_value=text_response("stooq_aapl_latest.csv"))

    quote = stooq.latest("AAPL")

    assert (quote.price, quote.currency, quote.source) == (Decimal("231.45"), "USD", "stooq")
    assert quote.as_of == datetime(2026, 11, 24, 21, 0, 9, tzinfo=UTC)  # 22:00:09 in Warsaw
    assert route.calls.last.request.url.params["f"] == "sd2t2ohlcv"


def test_an_api_key_is_sent_but_never_logged(settings, http, clock, feed_mock, caplog) -> None:
    keyed = settings.model_copy(update={"stooq_api_key": SecretStr("s3cret-stooq")})
    stooq = build_price_feeds(keyed, http=http, clock=clock).stock
    feed_mock.get(f"{CHART}/MSFT").mock(return_value=json_response("yahoo_not_found.json", 404))
    route = feed_mock.get(DAILY).mock(return_value=html_response("stooq_pow.html"))

    with caplog.at_level(logging.DEBUG), pytest.raises(FeedUnavailable):
        stooq.history("MSFT", date(2026, 11, 19), date(2026, 11, 20))

    assert route.calls.last.request.url.params["apikey"] == "s3cret-stooq"
    assert "s3cret-stooq" not in caplog.text


def test_spot_metal_csv_without_volume_column(stooq, feed_mock) -> None:
    route = feed_mock.get(DAILY).mock(return_value=text_response("stooq_xauusd_daily.csv"))

    points = stooq.history("XAU", date(2026, 11, 19), date(2026, 11, 21))

    # The 11-21 row has an empty close and is skipped.
    assert [(p.day, p.close) for p in points] == [
        (date(2026, 11, 19), Decimal("4047.21")),
        (date(2026, 11, 20), Decimal("4068.90")),
    ]
    assert route.calls.last.request.url.params["s"] == "xauusd"


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("AAPL", ("aapl.us", "USD")),
        ("BRK-B", ("brk-b.us", "USD")),
        ("THYAO.IS", ("thyao.tr", "TRY")),
        ("USDTRY=X", ("usdtry", "TRY")),
        ("GC=F", ("gc.f", "USD")),
        ("XAG", ("xagusd", "USD")),
    ],
)
def test_symbol_mapping(symbol, expected) -> None:
    assert stooq_symbol(symbol) == expected


def test_a_market_it_cannot_price_is_not_found_without_a_request(stooq, feed_mock) -> None:
    with pytest.raises(SymbolNotFound):
        stooq.latest("7203.T")
    assert not feed_mock.calls


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (text_response("stooq_no_data.txt"), SymbolNotFound),
        (text_response("stooq_limit.txt"), FeedUnavailable),
        (html_response("stooq_pow.html"), FeedDataError),
        (text_response("stooq_pow.html"), FeedDataError),
        (httpx.Response(200, text=""), FeedDataError),
        (httpx.Response(200, text="Datum,Otwarcie,Zamkniecie\n2026-11-19,1,2\n"), FeedDataError),
    ],
    ids=["no-data", "hits-limit", "pow-html", "pow-html-as-text", "empty", "other-csv"],
)
def test_untrusted_history_answers(stooq, feed_mock, response, error) -> None:
    feed_mock.get(DAILY).mock(return_value=response)

    with pytest.raises(error):
        stooq.history("AAPL", date(2026, 11, 19), date(2026, 11, 20))


def test_latest_of_an_unknown_symbol_is_a_row_of_nd(stooq, feed_mock) -> None:
    feed_mock.get(LATEST).mock(return_value=text_response("stooq_unknown_latest.csv"))

    with pytest.raises(SymbolNotFound):
        stooq.latest("ZZZZ")


def test_stocks_fall_back_to_stooq_when_yahoo_is_down(feeds, feed_mock) -> None:
    yahoo = feed_mock.get(f"{CHART}/AAPL").mock(return_value=httpx.Response(503))
    stooq = feed_mock.get(LATEST).mock(return_value=text_response("stooq_aapl_latest.csv"))

    quote = feeds.stock.latest("AAPL")

    assert (quote.price, quote.source) == (Decimal("231.45"), "stooq")
    assert yahoo.call_count == 3  # retried before giving up on Yahoo
    assert stooq.call_count == 1


def test_stock_history_falls_back_when_yahoo_answers_html(feeds, feed_mock) -> None:
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=html_response("yahoo_outage.html"))
    feed_mock.get(DAILY).mock(return_value=text_response("stooq_aapl_daily.csv"))

    points = feeds.stock.history("AAPL", date(2026, 11, 18), date(2026, 11, 20))

    assert [p.source for p in points] == ["stooq"] * 3


def test_yahoo_is_used_when_it_answers(feeds, feed_mock) -> None:
    feed_mock.get(f"{CHART}/THYAO.IS").mock(return_value=json_response("yahoo_thyao_5d.json"))
    stooq = feed_mock.get(LATEST)

    assert feeds.stock.latest("THYAO.IS").source == "yahoo"
    assert not stooq.called


def test_unknown_everywhere_is_symbol_not_found(feeds, feed_mock) -> None:
    feed_mock.get(f"{CHART}/ZZZZ").mock(return_value=json_response("yahoo_not_found.json", 404))
    feed_mock.get(LATEST).mock(return_value=text_response("stooq_unknown_latest.csv"))

    with pytest.raises(SymbolNotFound):
        feeds.stock.latest("ZZZZ")


def test_unknown_to_one_and_down_at_the_other_is_unavailable(feeds, feed_mock) -> None:
    feed_mock.get(f"{CHART}/ZZZZ").mock(return_value=json_response("yahoo_not_found.json", 404))
    feed_mock.get(LATEST).mock(return_value=text_response("stooq_limit.txt"))

    with pytest.raises(FeedUnavailable) as raised:
        feeds.stock.latest("ZZZZ")

    assert raised.value.source == "stocks"
