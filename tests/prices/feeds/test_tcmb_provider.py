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
from portfolio_tracker.prices.providers.tcmb import TcmbProvider
from recordings import TCMB, html_response, xml_response

TODAY_XML = f"{TCMB}/kurlar/today.xml"


@pytest.fixture
def tcmb(feeds: PriceFeeds) -> TcmbProvider:
    return feeds.tcmb


def test_latest_usdtry_is_forex_buying(tcmb, feed_mock) -> None:
    feed_mock.get(TODAY_XML).mock(return_value=xml_response("tcmb_today.xml"))

    quote = tcmb.latest("USDTRY")

    assert (quote.symbol, quote.price, quote.currency, quote.source) == (
        "USDTRY",
        Decimal("42.4102"),
        "TRY",
        "tcmb",
    )
    # The bulletin of 24.11.2026, published at 15:30 Istanbul time.
    assert quote.as_of == datetime(2026, 11, 24, 12, 30, tzinfo=UTC)


def test_yen_is_divided_by_its_unit(tcmb, feed_mock) -> None:
    feed_mock.get(TODAY_XML).mock(return_value=xml_response("tcmb_today.xml"))

    assert tcmb.latest("JPY/TRY").price == Decimal("0.273510")


def test_the_inverse_pair(tcmb, feed_mock) -> None:
    feed_mock.get(TODAY_XML).mock(return_value=xml_response("tcmb_today.xml"))

    assert tcmb.latest("TRYEUR").price == Decimal(1) / Decimal("49.0811")


def test_a_currency_with_an_empty_rate_is_not_found(tcmb, feed_mock) -> None:
    # KWD has no ForexBuying in the bulletin (an empty element).
    feed_mock.get(TODAY_XML).mock(return_value=xml_response("tcmb_today.xml"))

    with pytest.raises(SymbolNotFound):
        tcmb.latest("KWDTRY")


def test_pairs_without_try_are_not_tcmb_pairs(tcmb, feed_mock) -> None:
    with pytest.raises(SymbolNotFound):
        tcmb.latest("EURUSD")
    assert not feed_mock.calls


def test_history_walks_the_archive_and_skips_holidays(tcmb, feed_mock) -> None:
    for day in ("19", "20", "23"):
        feed_mock.get(f"{TCMB}/kurlar/202611/{day}112026.xml").mock(
            return_value=xml_response(f"tcmb_{day}112026.xml")
        )
    holiday = feed_mock.get(f"{TCMB}/kurlar/202611/24112026.xml").mock(
        return_value=html_response("tcmb_not_found.html", 404)
    )

    points = tcmb.history("USDTRY", date(2026, 11, 19), date(2026, 11, 24))

    assert points == [
        PricePoint("USDTRY", date(2026, 11, 19), Decimal("42.3318"), "TRY", "tcmb"),
        PricePoint("USDTRY", date(2026, 11, 20), Decimal("42.3617"), "TRY", "tcmb"),
        PricePoint("USDTRY", date(2026, 11, 23), Decimal("42.3954"), "TRY", "tcmb"),
    ]
    assert holiday.called
    # Saturday and Sunday are never requested (respx would refuse an unmocked URL).
    assert len(feed_mock.calls) == 4


def test_a_bulletin_of_another_day_is_not_taken_for_the_requested_one(tcmb, feed_mock) -> None:
    feed_mock.get(f"{TCMB}/kurlar/202611/20112026.xml").mock(
        return_value=xml_response("tcmb_19112026.xml")
    )

    assert tcmb.history("USDTRY", date(2026, 11, 20), date(2026, 11, 20)) == []


def test_long_ranges_are_cut(feeds, feed_mock, caplog) -> None:
    tcmb = TcmbProvider(feeds.clients["tcmb"], TCMB, max_history_days=2)
    feed_mock.get(f"{TCMB}/kurlar/202611/23112026.xml").mock(
        return_value=xml_response("tcmb_23112026.xml")
    )

    with caplog.at_level(logging.WARNING):
        points = tcmb.history("USDTRY", date(2016, 1, 1), date(2026, 11, 23))

    assert [p.day for p in points] == [date(2026, 11, 23)]
    assert "cut" in caplog.text


def test_bad_values_are_skipped_and_the_rest_used(tcmb, feed_mock, caplog) -> None:
    feed_mock.get(TODAY_XML).mock(return_value=xml_response("tcmb_bad_values.xml"))

    with caplog.at_level(logging.WARNING):
        assert tcmb.latest("GBPTRY").price == Decimal("55.9012")
        with pytest.raises(SymbolNotFound):
            tcmb.latest("USDTRY")  # negative: refused, so USD is absent

    assert "skipped point" in caplog.text


@pytest.mark.parametrize(
    "response",
    [
        html_response("tcmb_not_found.html", 200),
        xml_response("tcmb_truncated.xml"),
        xml_response("xml_entity_bomb.xml"),
        httpx.Response(200, text=""),
        httpx.Response(200, text="<?xml version='1.0'?><other/>"),
        httpx.Response(200, text='<Tarih_Date Tarih="2026-11-24"><Currency/></Tarih_Date>'),
        httpx.Response(200, text='<Tarih_Date Tarih="24.11.2026"></Tarih_Date>'),
        html_response("tcmb_not_found.html", 404),
    ],
    ids=[
        "html-200",
        "truncated",
        "entity-bomb",
        "empty",
        "other-root",
        "bad-date",
        "no-rates",
        "today-missing",
    ],
)
def test_untrusted_bulletins_are_rejected(tcmb, feed_mock, response) -> None:
    feed_mock.get(TODAY_XML).mock(return_value=response)

    with pytest.raises(FeedDataError):
        tcmb.latest("USDTRY")


def test_server_errors_are_retried_then_success(tcmb, feed_mock) -> None:
    route = feed_mock.get(TODAY_XML).mock(
        side_effect=[httpx.Response(502), httpx.Response(503), xml_response("tcmb_today.xml")]
    )

    assert tcmb.latest("USDTRY").price == Decimal("42.4102")
    assert route.call_count == 3


def test_network_errors_become_unavailable(tcmb, feed_mock) -> None:
    feed_mock.get(TODAY_XML).mock(side_effect=httpx.ConnectError("unreachable"))

    with pytest.raises(FeedUnavailable, match="network error"):
        tcmb.latest("USDTRY")
