from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from portfolio_tracker.prices.providers.base import FeedDataError, FeedUnavailable, SymbolNotFound
from portfolio_tracker.prices.providers.metals import YAHOO_FUTURES, MetalsProvider
from portfolio_tracker.prices.providers.yahoo import YahooChartProvider
from recordings import STOOQ, YAHOO, fixture_text, json_response, text_response

CHART = f"{YAHOO}/v8/finance/chart"


def test_gold_comes_from_comex_futures_and_says_so(feeds, feed_mock) -> None:
    route = feed_mock.get(f"{CHART}/GC=F").mock(return_value=json_response("yahoo_gc_f.json"))

    quote = feeds.metal.latest("xau")

    assert (quote.symbol, quote.price, quote.currency) == ("XAU", Decimal("4079.6"), "USD")
    assert quote.source == "yahoo:GC=F"
    assert route.called


def test_silver_history(feeds, feed_mock) -> None:
    feed_mock.get(f"{CHART}/SI=F").mock(return_value=json_response("yahoo_si_f.json"))

    points = feeds.metal.history("XAG", date(2026, 11, 20), date(2026, 11, 24))

    assert [(p.symbol, p.day, p.close, p.source) for p in points] == [
        ("XAG", date(2026, 11, 20), Decimal("50.62"), "yahoo:SI=F"),
        ("XAG", date(2026, 11, 24), Decimal("50.815"), "yahoo:SI=F"),
    ]


def test_gold_falls_back_to_stooq_spot(feeds, feed_mock) -> None:
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=httpx.Response(429, text="Too Many Requests"))
    feed_mock.get(f"{STOOQ}/q/d/l/").mock(return_value=text_response("stooq_xauusd_daily.csv"))

    points = feeds.metal.history("XAU", date(2026, 11, 19), date(2026, 11, 21))

    assert {p.source for p in points} == {"stooq:XAU"}
    assert points[-1].close == Decimal("4068.90")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"currency":"USD"', '"currency":"EUR"'),
        ('"regularMarketPrice":4079.6', '"regularMarketPrice":40.796'),  # a unit slip
        ('"regularMarketPrice":4079.6', '"regularMarketPrice":4079600'),
    ],
    ids=["wrong-currency", "absurdly-low", "absurdly-high"],
)
def test_implausible_gold_is_rejected_by_both_sources(feeds, feed_mock, old, new) -> None:
    text = fixture_text("yahoo_gc_f.json").replace(old, new)
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=httpx.Response(200, text=text))
    # Stooq's latest-quote answer is the PoW wall, so nothing trustworthy remains.
    feed_mock.get(f"{STOOQ}/q/l/").mock(
        return_value=httpx.Response(
            200, text=fixture_text("stooq_pow.html"), headers={"content-type": "text/html"}
        )
    )

    with pytest.raises(FeedUnavailable) as raised:
        feeds.metal.latest("XAU")

    # Neither answer is used: the composite reports the metals feed unavailable and says
    # why each source was refused.
    assert "yahoo:GC=F" in raised.value.detail
    assert "stooq" in raised.value.detail


def test_a_rejected_futures_quote_is_a_data_error(feeds, feed_mock) -> None:
    text = fixture_text("yahoo_gc_f.json").replace('"currency":"USD"', '"currency":"TRY"')
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=httpx.Response(200, text=text))
    gold = MetalsProvider(YahooChartProvider(feeds.clients["yahoo"], YAHOO), YAHOO_FUTURES)

    with pytest.raises(FeedDataError, match="currency TRY where USD was expected"):
        gold.latest("XAU")


def test_only_gold_and_silver_are_metals(feeds, feed_mock) -> None:
    with pytest.raises(SymbolNotFound):
        feeds.metal.latest("XPT")
    assert not feed_mock.calls
