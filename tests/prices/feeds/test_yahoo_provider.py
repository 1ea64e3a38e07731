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
from portfolio_tracker.prices.providers.registry import PriceFeeds
from portfolio_tracker.prices.providers.yahoo import YahooChartProvider, expected_currency_for
from recordings import YAHOO, fixture_text, html_response, json_response, text_response

CHART = f"{YAHOO}/v8/finance/chart"


@pytest.fixture
def yahoo(feeds: PriceFeeds) -> YahooChartProvider:
    return YahooChartProvider(feeds.clients["yahoo"], YAHOO)


def variant(name: str, old: str, new: str) -> httpx.Response:
    """A recorded answer with one value changed, for the hostile cases."""
    text = fixture_text(name)
    assert old in text
    return httpx.Response(
        200, text=text.replace(old, new), headers={"content-type": "application/json"}
    )


def test_latest_bist_stock_from_meta(yahoo, feed_mock) -> None:
    route = feed_mock.get(f"{CHART}/THYAO.IS").mock(
        return_value=json_response("yahoo_thyao_5d.json")
    )

    quote = yahoo.latest("thyao.is")

    assert quote.symbol == "THYAO.IS"
    assert quote.price == Decimal("289.25")
    assert quote.currency == "TRY"
    assert quote.as_of == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert quote.source == "yahoo"
    assert dict(route.calls.last.request.url.params) == {"range": "5d", "interval": "1d"}
    assert "Mozilla" in route.calls.last.request.headers["user-agent"]


def test_history_dates_are_exchange_days_and_null_closes_are_skipped(yahoo, feed_mock) -> None:
    route = feed_mock.get(f"{CHART}/THYAO.IS").mock(
        return_value=json_response("yahoo_thyao_history.json")
    )

    points = yahoo.history("THYAO.IS", date(2026, 11, 18), date(2026, 11, 20))

    # Bars stamped at midnight Istanbul lie on the previous UTC day: the day must be
    # taken in the exchange's zone. The null bar of 11-19 is left out, the 11-24 bar is
    # outside the range.
    assert points == [
        PricePoint("THYAO.IS", date(2026, 11, 18), Decimal("284.5"), "TRY", "yahoo"),
        PricePoint("THYAO.IS", date(2026, 11, 20), Decimal("289.0"), "TRY", "yahoo"),
    ]
    params = route.calls.last.request.url.params
    assert params["interval"] == "1d"
    assert int(params["period1"]) <= int(datetime(2026, 11, 18, tzinfo=UTC).timestamp())
    assert int(params["period2"]) >= int(datetime(2026, 11, 21, tzinfo=UTC).timestamp())
    assert "range" not in params


def test_us_history_drops_the_appended_live_bar(yahoo, feed_mock) -> None:
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=json_response("yahoo_aapl_history.json"))

    points = yahoo.history("AAPL", date(2026, 11, 18), date(2026, 11, 20))

    assert [(p.day, p.close) for p in points] == [
        (date(2026, 11, 18), Decimal("228.9")),
        (date(2026, 11, 19), Decimal("229.6")),
    ]
    assert {p.currency for p in points} == {"USD"}


def test_futures_symbols_go_into_the_path_raw(yahoo, feed_mock) -> None:
    route = feed_mock.get(f"{CHART}/GC=F").mock(return_value=json_response("yahoo_gc_f.json"))

    yahoo.latest("GC=F")

    assert route.calls.last.request.url.raw_path.startswith(b"/v8/finance/chart/GC=F?")


def test_unknown_symbol_404_is_symbol_not_found(yahoo, feed_mock) -> None:
    feed_mock.get(f"{CHART}/NOPE.IS").mock(return_value=json_response("yahoo_not_found.json", 404))

    with pytest.raises(SymbolNotFound, match="delisted"):
        yahoo.latest("NOPE.IS")


def test_a_symbol_that_is_not_a_ticker_is_refused_without_a_request(yahoo, feed_mock) -> None:
    with pytest.raises(SymbolNotFound):
        yahoo.latest("../../admin")
    assert not feed_mock.calls


@pytest.mark.parametrize(
    "response",
    [
        html_response("yahoo_outage.html"),
        httpx.Response(200, text=""),
        httpx.Response(200, text="{not json", headers={"content-type": "application/json"}),
        httpx.Response(200, json={"chart": {"result": [{"timestamp": []}], "error": None}}),
        httpx.Response(200, json={"finance": {"error": {"code": "Bad Request"}}}),
        variant("yahoo_thyao_5d.json", '"currency":"TRY"', '"currency":"USD"'),
        variant("yahoo_thyao_5d.json", '"currency":"TRY"', '"currency":null'),
        variant("yahoo_thyao_5d.json", '"regularMarketPrice":289.25', '"regularMarketPrice":NaN'),
        variant(
            "yahoo_thyao_5d.json", '"regularMarketPrice":289.25', '"regularMarketPrice":Infinity'
        ),
        variant("yahoo_thyao_5d.json", '"regularMarketPrice":289.25', '"regularMarketPrice":0'),
        variant(
            "yahoo_thyao_5d.json", '"regularMarketPrice":289.25', '"regularMarketPrice":-289.25'
        ),
        variant(
            "yahoo_thyao_5d.json", '"regularMarketPrice":289.25', '"regularMarketPrice":2.8925e12'
        ),
        variant("yahoo_thyao_5d.json", '"regularMarketPrice":289.25,', ""),
        variant("yahoo_thyao_5d.json", '"regularMarketTime":1795532400,', ""),
        variant("yahoo_thyao_5d.json", '"symbol":"THYAO.IS"', '"symbol":"PGSUS.IS"'),
    ],
    ids=[
        "html-outage",
        "empty",
        "invalid-json",
        "no-meta",
        "no-chart",
        "wrong-currency",
        "null-currency",
        "nan",
        "infinity",
        "zero",
        "negative",
        "absurd",
        "missing-price",
        "missing-time",
        "other-symbol",
    ],
)
def test_untrusted_latest_answers_are_rejected(yahoo, feed_mock, response, caplog) -> None:
    feed_mock.get(f"{CHART}/THYAO.IS").mock(return_value=response)

    with caplog.at_level(logging.DEBUG), pytest.raises(FeedDataError):
        yahoo.latest("THYAO.IS")

    assert "yahoo" in caplog.text


def test_bad_points_in_a_series_are_skipped(yahoo, feed_mock, caplog) -> None:
    text = fixture_text("yahoo_thyao_history.json").replace(
        '"close":[284.5,null,289.0,289.25]', '"close":[NaN,-1,289.0,"289.25"]'
    )
    feed_mock.get(f"{CHART}/THYAO.IS").mock(return_value=httpx.Response(200, text=text))

    with caplog.at_level(logging.WARNING):
        points = yahoo.history("THYAO.IS", date(2026, 11, 18), date(2026, 11, 24))

    # A string "289.25" is accepted (it is exact text); NaN and -1 are not.
    assert [(p.day, p.close) for p in points] == [
        (date(2026, 11, 20), Decimal("289.0")),
        (date(2026, 11, 24), Decimal("289.25")),
    ]
    assert caplog.text.count("skipped point") == 2


def test_series_of_different_lengths_are_rejected(yahoo, feed_mock) -> None:
    text = fixture_text("yahoo_thyao_history.json").replace(
        '"close":[284.5,null,289.0,289.25]', '"close":[284.5,289.0]'
    )
    feed_mock.get(f"{CHART}/THYAO.IS").mock(return_value=httpx.Response(200, text=text))

    with pytest.raises(FeedDataError):
        yahoo.history("THYAO.IS", date(2026, 11, 18), date(2026, 11, 24))


def test_a_range_without_sessions_is_an_empty_history(yahoo, feed_mock) -> None:
    body = {
        "chart": {
            "result": [
                {
                    "meta": {
                        "currency": "USD",
                        "symbol": "AAPL",
                        "exchangeTimezoneName": "America/New_York",
                    }
                }
            ],
            "error": None,
        }
    }
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=httpx.Response(200, json=body))

    assert yahoo.history("AAPL", date(2026, 11, 21), date(2026, 11, 22)) == []


def test_pence_are_converted_to_pounds(yahoo, feed_mock) -> None:
    text = (
        fixture_text("yahoo_aapl_history.json")
        .replace('"currency":"USD"', '"currency":"GBp"')
        .replace('"symbol":"AAPL"', '"symbol":"VOD.L"')
        .replace('"regularMarketPrice":231.4', '"regularMarketPrice":7215.5')
    )
    feed_mock.get(f"{CHART}/VOD.L").mock(return_value=httpx.Response(200, text=text))

    quote = yahoo.latest("VOD.L")

    assert (quote.price, quote.currency) == (Decimal("72.155"), "GBP")


@pytest.mark.parametrize(
    "response",
    [
        text_response("yahoo_429.txt", 429),
        text_response("yahoo_429.txt", 200),
        httpx.Response(503, text="Service Unavailable"),
    ],
    ids=["429", "429-text-with-200", "503"],
)
def test_rate_limits_and_outages_are_unavailable(yahoo, feed_mock, response) -> None:
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=response)

    with pytest.raises(FeedUnavailable):
        yahoo.latest("AAPL")


def test_timeout_is_retried_then_unavailable(yahoo, feed_mock) -> None:
    route = feed_mock.get(f"{CHART}/AAPL").mock(side_effect=httpx.ConnectTimeout("slow"))

    with pytest.raises(FeedUnavailable, match="timeout"):
        yahoo.latest("AAPL")

    assert route.call_count == 3


@pytest.mark.parametrize(
    ("symbol", "currency"),
    [("THYAO.IS", "TRY"), ("AAPL", "USD"), ("USDTRY=X", "TRY"), ("GC=F", None), ("BTC-USD", None)],
)
def test_expected_currency_from_the_symbol(symbol, currency) -> None:
    assert expected_currency_for(symbol) == currency


DIVIDENDS = '"events":{"dividends":{"1795012200":{"amount":0.26,"date":1795012200}}}'
WITH_SPLITS = (
    '"events":{"dividends":{"1795012200":{"amount":0.26,"date":1795012200}},'
    '"splits":{"1795098600":{"date":1795098600,"numerator":4,"denominator":1,"splitRatio":"4:1"},'
    '"1795185000":{"date":1795185000,"numerator":1,"denominator":2.5,"splitRatio":"1:2.5"},'
    '"1795012200":{"date":1795012200,"numerator":0,"denominator":1,"splitRatio":"0:1"}}}'
)


def test_history_asks_for_split_events_and_reports_them(yahoo, feed_mock, caplog) -> None:
    route = feed_mock.get(f"{CHART}/AAPL").mock(
        return_value=variant("yahoo_aapl_history.json", DIVIDENDS, WITH_SPLITS)
    )
    with caplog.at_level(logging.WARNING):
        points = yahoo.history("AAPL", date(2026, 11, 18), date(2026, 11, 19))
    assert route.calls.last.request.url.params["events"] == "split"
    # The 0:1 entry does not parse and is skipped; the 1:2.5 one lies after the range.
    assert [(s.day, s.numerator, s.denominator, s.source) for s in points.splits] == [
        (date(2026, 11, 19), Decimal(4), Decimal(1), "yahoo")
    ]
    assert [p.day for p in points] == [date(2026, 11, 18), date(2026, 11, 19)]
    wider = yahoo.history("AAPL", date(2026, 11, 18), date(2026, 11, 20))
    assert [(s.numerator, s.denominator) for s in wider.splits] == [
        (Decimal(4), Decimal(1)),
        (Decimal(1), Decimal("2.5")),
    ]


def test_a_history_without_split_events_reports_none(yahoo, feed_mock) -> None:
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=json_response("yahoo_aapl_history.json"))
    assert yahoo.history("AAPL", date(2026, 11, 18), date(2026, 11, 20)).splits == ()
