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
from portfolio_tracker.prices.providers.ecb import EcbProvider
from portfolio_tracker.prices.providers.registry import PriceFeeds
from recordings import ECB, TCMB, TODAY, html_response, xml_response

DAILY = f"{ECB}/stats/eurofxref/eurofxref-daily.xml"
HIST_90D = f"{ECB}/stats/eurofxref/eurofxref-hist-90d.xml"
HIST = f"{ECB}/stats/eurofxref/eurofxref-hist.xml"


@pytest.fixture
def ecb(feeds: PriceFeeds) -> EcbProvider:
    return EcbProvider(feeds.clients["ecb"], ECB, today=lambda: TODAY)


def test_latest_eurusd(ecb, feed_mock) -> None:
    feed_mock.get(DAILY).mock(return_value=xml_response("ecb_daily.xml"))

    quote = ecb.latest("EURUSD")

    assert (quote.symbol, quote.price, quote.currency, quote.source) == (
        "EURUSD",
        Decimal("1.1575"),
        "USD",
        "ecb",
    )
    assert quote.as_of == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 16:00 CET


def test_latest_cross_rate_through_the_euro(ecb, feed_mock) -> None:
    feed_mock.get(DAILY).mock(return_value=xml_response("ecb_daily.xml"))

    quote = ecb.latest("USDTRY")

    assert quote.price == Decimal("49.1123") / Decimal("1.1575")
    assert quote.currency == "TRY"


def test_recent_history_uses_the_90_day_file_and_skips_bad_rates(ecb, feed_mock, caplog) -> None:
    route = feed_mock.get(HIST_90D).mock(return_value=xml_response("ecb_hist_90d.xml"))

    with caplog.at_level(logging.WARNING):
        points = ecb.history("USDTRY", date(2026, 11, 17), date(2026, 11, 20))

    # 11-19 has USD = 0 and 11-18 has TRY = NaN: both days are left out.
    assert points == [
        PricePoint(
            "USDTRY", date(2026, 11, 17), Decimal("48.9950") / Decimal("1.1560"), "TRY", "ecb"
        ),
        PricePoint(
            "USDTRY", date(2026, 11, 20), Decimal("49.0871") / Decimal("1.1570"), "TRY", "ecb"
        ),
    ]
    assert route.called
    assert caplog.text.count("skipped point") == 2


def test_long_history_uses_the_full_file(ecb, feed_mock) -> None:
    route = feed_mock.get(HIST).mock(return_value=xml_response("ecb_hist_90d.xml"))

    points = ecb.history("EURTRY", date(2016, 1, 1), TODAY)

    assert route.called
    assert [p.close for p in points][-1] == Decimal("49.1123")


def test_an_unknown_currency_is_not_found(ecb, feed_mock) -> None:
    feed_mock.get(DAILY).mock(return_value=xml_response("ecb_daily.xml"))
    feed_mock.get(HIST_90D).mock(return_value=xml_response("ecb_hist_90d.xml"))

    with pytest.raises(SymbolNotFound):
        ecb.latest("EURXAU")
    with pytest.raises(SymbolNotFound):
        ecb.history("EURKWD", date(2026, 11, 1), TODAY)


@pytest.mark.parametrize(
    "response",
    [
        html_response("tcmb_not_found.html"),
        xml_response("xml_entity_bomb.xml"),
        httpx.Response(200, text="<gesmes:Envelope"),
        httpx.Response(200, text=""),
        xml_response("tcmb_today.xml"),
        httpx.Response(
            200, text='<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"/>'
        ),
        httpx.Response(404, text="Not Found"),
    ],
    ids=["html", "entity-bomb", "truncated", "empty", "other-document", "no-cubes", "404"],
)
def test_untrusted_answers_are_rejected(ecb, feed_mock, response) -> None:
    feed_mock.get(DAILY).mock(return_value=response)

    with pytest.raises(FeedDataError):
        ecb.latest("EURUSD")


def test_fx_falls_back_from_tcmb_to_ecb(feeds, feed_mock) -> None:
    feed_mock.get(f"{TCMB}/kurlar/today.xml").mock(side_effect=httpx.ReadTimeout("slow"))
    feed_mock.get(DAILY).mock(return_value=xml_response("ecb_daily.xml"))

    quote = feeds.fx.latest("EURTRY")

    assert (quote.price, quote.source) == (Decimal("49.1123"), "ecb")


def test_fx_unavailable_everywhere(feeds, feed_mock) -> None:
    feed_mock.get(f"{TCMB}/kurlar/today.xml").mock(return_value=httpx.Response(500))
    feed_mock.get(DAILY).mock(return_value=httpx.Response(503))

    with pytest.raises(FeedUnavailable):
        feeds.fx.latest("USDTRY")
