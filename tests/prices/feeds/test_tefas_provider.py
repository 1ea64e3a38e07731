from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from portfolio_tracker.prices.providers.base import (
    FeedDataError,
    FeedUnavailable,
    PricePoint,
    SymbolNotFound,
)
from portfolio_tracker.prices.providers.registry import PriceFeeds
from portfolio_tracker.prices.providers.tefas import TefasProvider, months_back, period_for
from recordings import TEFAS, TODAY, html_response, json_response, text_response

URL = f"{TEFAS}/api/funds/fonFiyatBilgiGetir"


@pytest.fixture
def tefas(feeds: PriceFeeds) -> TefasProvider:
    return TefasProvider(feeds.clients["tefas"], TEFAS, today=lambda: TODAY)


def sent_body(route: respx.Route) -> object:
    return json.loads(route.calls.last.request.content)


def test_latest_is_the_newest_row_whatever_the_order(tefas, feed_mock) -> None:
    route = feed_mock.post(URL).mock(return_value=json_response("tefas_yac_month.json"))

    quote = tefas.latest("yac")

    assert quote.symbol == "YAC"
    assert quote.price == Decimal("3.163587")
    assert quote.currency == "TRY"
    assert quote.source == "tefas"
    # The NAV of 2026-11-20 is the price valid from that Istanbul day on.
    assert quote.as_of == datetime(2026, 11, 19, 21, 0, tzinfo=UTC)
    assert sent_body(route) == {"fonKodu": "YAC", "dil": "TR", "periyod": 1}
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"


def test_history_is_sorted_filtered_and_exact(tefas, feed_mock) -> None:
    route = feed_mock.post(URL).mock(return_value=json_response("tefas_yac_month.json"))

    points = tefas.history("YAC", date(2026, 11, 1), date(2026, 11, 19))

    assert points == [
        PricePoint("YAC", date(2026, 11, 18), Decimal("3.151877"), "TRY", "tefas"),
        PricePoint("YAC", date(2026, 11, 19), Decimal("3.159022"), "TRY", "tefas"),
    ]
    assert sent_body(route) == {"fonKodu": "YAC", "dil": "TR", "periyod": 1}


@pytest.mark.parametrize(
    ("start", "months"),
    [
        (date(2026, 11, 1), 1),
        (date(2026, 10, 25), 1),
        (date(2026, 10, 24), 3),
        (date(2026, 3, 1), 12),
        (date(2024, 1, 1), 36),
        (date(2021, 11, 25), 60),
        (date(2015, 1, 1), 60),
    ],
)
def test_the_smallest_lookback_bucket_covering_the_range_is_requested(start, months) -> None:
    assert period_for(start, TODAY) == months


def test_months_back_clamps_to_the_end_of_a_shorter_month() -> None:
    assert months_back(date(2026, 3, 31), 1) == date(2026, 2, 28)


def test_a_ten_year_backfill_asks_for_the_five_year_maximum(tefas, feed_mock) -> None:
    route = feed_mock.post(URL).mock(return_value=json_response("tefas_yac_month.json"))

    tefas.history("YAC", date(2016, 11, 25), TODAY)

    assert sent_body(route) == {"fonKodu": "YAC", "dil": "TR", "periyod": 60}


def test_hostile_rows_are_skipped_and_logged(tefas, feed_mock, caplog) -> None:
    feed_mock.post(URL).mock(return_value=json_response("tefas_yac_hostile_rows.json"))

    with caplog.at_level(logging.WARNING):
        points = tefas.history("YAC", date(2026, 11, 1), TODAY)

    # null, NaN, negative, zero, absurd, Infinity, another fund, a bad date, a comma
    # decimal, a row without a date and a non-object are all refused; one row survives.
    assert points == [PricePoint("YAC", date(2026, 11, 13), Decimal("3.140211"), "TRY", "tefas")]
    assert caplog.text.count("skipped point") == 11


def test_a_series_without_one_valid_price_is_no_latest_price(tefas, feed_mock) -> None:
    feed_mock.post(URL).mock(return_value=json_response("tefas_all_rows_bad.json"))

    with pytest.raises(FeedDataError):
        tefas.latest("YAC")


@pytest.mark.parametrize("fixture", ["tefas_unknown_fund.json", "tefas_empty.json"])
def test_an_unknown_fund_is_symbol_not_found(tefas, feed_mock, fixture) -> None:
    feed_mock.post(URL).mock(return_value=json_response(fixture))

    with pytest.raises(SymbolNotFound):
        tefas.latest("ZZZ")


def test_a_malformed_code_is_refused_without_calling_tefas(tefas, feed_mock) -> None:
    route = feed_mock.post(URL)

    with pytest.raises(SymbolNotFound):
        tefas.latest("../x")

    assert not route.called


@pytest.mark.parametrize(
    "response",
    [
        json_response("tefas_system_error.json"),
        json_response("tefas_no_envelope.json"),
        json_response("tefas_truncated.json"),
        html_response("tefas_waf.html"),
        httpx.Response(200, text=""),
        # The WAF page does not always say it is HTML.
        text_response("tefas_waf.html", content_type="application/json"),
        httpx.Response(403, text='{"errorCode":null,"errorMessage":null,"resultList":[]}'),
    ],
    ids=[
        "error-message",
        "no-envelope",
        "truncated",
        "html-200",
        "empty-body",
        "html-as-json",
        "forbidden",
    ],
)
def test_untrusted_answers_are_rejected(tefas, feed_mock, response, caplog) -> None:
    feed_mock.post(URL).mock(return_value=response)

    with caplog.at_level(logging.DEBUG), pytest.raises(FeedDataError):
        tefas.latest("YAC")

    assert "tefas" in caplog.text


def test_rate_limit_without_retry_after_is_retried_then_unavailable(tefas, feed_mock) -> None:
    route = feed_mock.post(URL).mock(return_value=text_response("tefas_429.txt", 429))

    with pytest.raises(FeedUnavailable) as raised:
        tefas.latest("YAC")

    assert route.call_count == 3
    assert raised.value.retry_after is None


def test_rate_limit_then_success(tefas, feed_mock) -> None:
    feed_mock.post(URL).mock(
        side_effect=[text_response("tefas_429.txt", 429), json_response("tefas_yac_month.json")]
    )

    assert tefas.latest("YAC").price == Decimal("3.163587")


def test_timeout_is_unavailable(tefas, feed_mock) -> None:
    route = feed_mock.post(URL).mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(FeedUnavailable, match="timeout"):
        tefas.history("YAC", date(2026, 11, 1), TODAY)

    assert route.call_count == 3
