"""Each kind of price flows from a recorded feed answer into the tables and out through its
endpoint; the quote cache, stale answers, 404/503, validation and auth."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import respx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import DataVersion, ExchangeRate, PriceHistory
from portfolio_tracker.prices import storage
from recordings import (
    COINGECKO,
    ECB,
    STOOQ,
    TCMB,
    TEFAS,
    YAHOO,
    fixture_text,
    html_response,
    json_response,
    text_response,
    xml_response,
)

if TYPE_CHECKING:
    from support import ApiUser

TEFAS_API = f"{TEFAS}/api/funds/fonFiyatBilgiGetir"
CHART = f"{YAHOO}/v8/finance/chart"
SIMPLE_PRICE = f"{COINGECKO}/simple/price"
TCMB_TODAY = f"{TCMB}/kurlar/today.xml"
ECB_DAILY = f"{ECB}/stats/eurofxref/eurofxref-daily.xml"


def closes(engine: Engine) -> list[tuple[str, str, date, Decimal, str]]:
    with Session(engine) as db:
        return [
            tuple(r)
            for r in db.execute(  # type: ignore[misc]
                select(
                    PriceHistory.source,
                    PriceHistory.symbol,
                    PriceHistory.day,
                    PriceHistory.close,
                    PriceHistory.currency,
                ).order_by(PriceHistory.id)
            )
        ]


def rates(engine: Engine) -> list[tuple[str, str, date, Decimal, str]]:
    with Session(engine) as db:
        return [
            tuple(r)
            for r in db.execute(  # type: ignore[misc]
                select(
                    ExchangeRate.base,
                    ExchangeRate.quote,
                    ExchangeRate.day,
                    ExchangeRate.rate,
                    ExchangeRate.source,
                ).order_by(ExchangeRate.id)
            )
        ]


def prices_version(engine: Engine) -> int:
    with Session(engine) as db:
        return db.scalar(select(DataVersion.version).where(DataVersion.scope == "prices")) or 0


def test_fund_flows_from_tefas_to_the_table_and_the_endpoint(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_yac_month.json"))

    response = alice.get("/api/prices/fund?code=yac")

    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("symbol", "price", "currency", "source", "stale")} == {
        "symbol": "YAC",
        "price": "3.163587",
        "currency": "TRY",
        "source": "tefas",
        "stale": False,
    }
    assert body["as_of"].startswith("2026-11-19T21:00:00")  # 00:00 Istanbul on the 20th
    assert response.headers["cache-control"] == "private, max-age=300"
    assert closes(engine) == [("tefas", "YAC", date(2026, 11, 20), Decimal("3.163587"), "TRY")]
    assert prices_version(engine) > 0  # bumped (versions count from the clock)


def test_stock_from_yahoo_is_stored_under_its_exchange_day(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.get(f"{CHART}/THYAO.IS").mock(return_value=json_response("yahoo_thyao_5d.json"))

    body = alice.get("/api/prices/stock?symbol=thyao.is").json()

    assert (body["symbol"], body["price"], body["currency"], body["source"]) == (
        "THYAO.IS",
        "289.25",
        "TRY",
        "yahoo",
    )
    [(source, symbol, _day, close, currency)] = closes(engine)
    assert (source, symbol, close, currency) == ("yahoo", "THYAO.IS", Decimal("289.25"), "TRY")


def test_stock_falls_back_to_stooq_and_is_stored_under_stooq(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=html_response("yahoo_outage.html", 503))
    feed_mock.get(f"{STOOQ}/q/l/").mock(return_value=text_response("stooq_aapl_latest.csv"))

    body = alice.get("/api/prices/stock?symbol=AAPL").json()

    assert (body["price"], body["currency"], body["source"]) == ("231.45", "USD", "stooq")
    assert closes(engine) == [("stooq", "AAPL", date(2026, 11, 24), Decimal("231.45"), "USD")]


def test_crypto_is_stored_under_its_plain_ticker_in_usd(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.get(SIMPLE_PRICE).mock(
        return_value=json_response("coingecko_simple_price_btc_usd.json")
    )

    body = alice.get("/api/prices/crypto?symbol=btc").json()

    assert (body["symbol"], body["price"], body["currency"], body["source"]) == (
        "BTC",
        "97012.123456789012",
        "USD",
        "coingecko",
    )
    [(source, symbol, _day, close, currency)] = closes(engine)
    assert (source, symbol, close, currency) == (
        "coingecko",
        "BTC",
        Decimal("97012.123456789012"),
        "USD",
    )


def test_fx_from_tcmb_is_stored_as_a_rate(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.get(TCMB_TODAY).mock(return_value=xml_response("tcmb_today.xml"))

    body = alice.get("/api/prices/fx?base=usd&quote=try").json()

    assert (body["symbol"], body["price"], body["currency"], body["source"]) == (
        "USDTRY",
        "42.4102",
        "TRY",
        "tcmb",
    )
    assert rates(engine) == [("USD", "TRY", date(2026, 11, 24), Decimal("42.4102"), "tcmb")]
    assert prices_version(engine) > 0  # bumped (versions count from the clock)


def test_fx_of_a_currency_to_itself_is_exactly_one_without_a_feed(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    response = alice.get("/api/prices/fx?base=try&quote=TRY")

    assert response.status_code == 200
    body = response.json()
    assert (body["symbol"], body["price"], body["currency"], body["stale"]) == (
        "TRYTRY",
        "1",
        "TRY",
        False,
    )
    assert rates(engine) == []
    assert not feed_mock.calls


def test_fx_without_try_comes_from_the_ecb(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.get(ECB_DAILY).mock(return_value=xml_response("ecb_daily.xml"))

    body = alice.get("/api/prices/fx?base=EUR&quote=USD").json()

    assert (body["price"], body["source"]) == ("1.1575", "ecb")
    assert rates(engine) == [("EUR", "USD", date(2026, 11, 24), Decimal("1.1575"), "ecb")]


def test_metal_spot_per_ounce_in_usd_is_the_feed_price(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=json_response("yahoo_gc_f.json"))

    response = alice.get("/api/prices/metal?symbol=XAU")

    body = response.json()
    assert (body["symbol"], body["price"], body["currency"], body["unit"], body["source"]) == (
        "XAU",
        "4079.6",
        "USD",
        "troy_ounce",
        "yahoo:GC=F",
    )
    [(source, symbol, _day, close, currency)] = closes(engine)
    assert (source, symbol, close, currency) == ("metals", "XAU", Decimal("4079.6"), "USD")


def test_gram_gold_in_try_uses_the_usd_try_rate(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=json_response("yahoo_gc_f.json"))
    feed_mock.get(TCMB_TODAY).mock(return_value=xml_response("tcmb_today.xml"))

    body = alice.get("/api/prices/metal?symbol=xau&unit=gram&currency=try").json()

    expected = (Decimal("4079.6") / Decimal("31.1034768") * Decimal("42.4102")).quantize(
        Decimal("0.000001")
    )
    assert (body["price"], body["currency"], body["unit"]) == (str(expected), "TRY", "gram")
    assert body["source"] == "yahoo:GC=F; fx tcmb"
    assert [r[:2] for r in rates(engine)] == [("USD", "TRY")]


def test_a_ceyrek_is_priced_by_its_weight_and_fineness(
    alice: ApiUser, feed_mock: respx.MockRouter
) -> None:
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=json_response("yahoo_gc_f.json"))

    body = alice.get("/api/prices/metal?symbol=XAU&unit=ceyrek").json()

    expected = Decimal("4079.6") * Decimal("1.754") * Decimal("0.916") / Decimal("31.1034768")
    assert Decimal(body["price"]) == expected.quantize(Decimal("0.000001"))


def test_metal_in_a_currency_without_any_rate_is_503_never_a_rate_of_one(
    alice: ApiUser, feed_mock: respx.MockRouter
) -> None:
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=json_response("yahoo_gc_f.json"))
    feed_mock.get(TCMB_TODAY).mock(return_value=httpx.Response(503))
    feed_mock.get(ECB_DAILY).mock(return_value=httpx.Response(503))

    response = alice.get("/api/prices/metal?symbol=XAU&unit=gram&currency=TRY")

    assert response.status_code == 503
    assert "USD/TRY" in response.json()["detail"]
    assert int(response.headers["retry-after"]) >= 1


def test_a_second_request_within_the_ttl_does_not_call_the_feed(
    alice: ApiUser, feed_mock: respx.MockRouter
) -> None:
    route = feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_yac_month.json"))

    first = alice.get("/api/prices/fund?code=YAC")
    second = alice.get("/api/prices/fund?code=YAC")

    assert route.call_count == 1
    assert first.json() == second.json()
    max_age = int(second.headers["cache-control"].split("max-age=")[1])
    assert 0 < max_age <= 300


def test_feed_down_with_a_stored_price_answers_it_as_stale(
    alice: ApiUser, feed_mock: respx.MockRouter, engine: Engine
) -> None:
    with Session(engine) as db:
        storage.store_closes(
            db, [storage.Close("tefas", "YAC", date(2026, 11, 18), Decimal("3.151877"), "TRY")]
        )
        db.commit()
    feed_mock.post(TEFAS_API).mock(return_value=httpx.Response(503))

    response = alice.get("/api/prices/fund?code=YAC")

    assert response.status_code == 200
    body = response.json()
    assert (body["price"], body["stale"], body["source"]) == ("3.151877", True, "tefas")
    assert body["as_of"].startswith("2026-11-18")
    assert response.headers["cache-control"] == "private, max-age=0"


def test_feed_down_with_nothing_stored_is_503_with_a_clear_detail(
    alice: ApiUser, feed_mock: respx.MockRouter
) -> None:
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=httpx.Response(502))
    feed_mock.get(f"{STOOQ}/q/l/").mock(return_value=text_response("stooq_limit.txt"))

    response = alice.get("/api/prices/stock?symbol=AAPL")

    assert response.status_code == 503
    assert int(response.headers["retry-after"]) >= 1
    detail = response.json()["detail"]
    assert "AAPL" in detail and "no price is stored" in detail


def test_a_symbol_no_source_knows_is_404(alice: ApiUser, feed_mock: respx.MockRouter) -> None:
    feed_mock.get(f"{CHART}/ZZZZ").mock(return_value=json_response("yahoo_not_found.json", 404))
    feed_mock.get(f"{STOOQ}/q/l/").mock(return_value=text_response("stooq_unknown_latest.csv"))

    response = alice.get("/api/prices/stock?symbol=ZZZZ")

    assert response.status_code == 404
    assert "ZZZZ" in response.json()["detail"]


def test_an_unknown_fund_is_404(alice: ApiUser, feed_mock: respx.MockRouter) -> None:
    feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_unknown_fund.json"))

    assert alice.get("/api/prices/fund?code=QQQ").status_code == 404


HOSTILE: list[tuple[str, str, Any]] = [
    ("/api/prices/fund?code=YAC", "post", (TEFAS_API, html_response("tefas_waf.html"))),
    ("/api/prices/fund?code=YAC", "post", (TEFAS_API, json_response("tefas_all_rows_bad.json"))),
    (
        "/api/prices/crypto?symbol=BTC",
        "get",
        (SIMPLE_PRICE, json_response("coingecko_simple_price_null.json")),
    ),
    (
        "/api/prices/crypto?symbol=BTC",
        "get",
        (SIMPLE_PRICE, json_response("coingecko_simple_price_wrong_currency.json")),
    ),
    ("/api/prices/fx?base=USD&quote=TRY", "get", (TCMB_TODAY, xml_response("tcmb_bad_values.xml"))),
    ("/api/prices/fx?base=USD&quote=TRY", "get", (TCMB_TODAY, xml_response("xml_entity_bomb.xml"))),
    (
        "/api/prices/metal?symbol=XAU",
        "get",
        (
            f"{CHART}/GC=F",
            httpx.Response(
                200,
                text=fixture_text("yahoo_gc_f.json").replace(
                    '"regularMarketPrice":4079.6', '"regularMarketPrice":4079600'
                ),
            ),
        ),
    ),
]


@pytest.mark.parametrize(
    ("url", "method", "answer"),
    HOSTILE,
    ids=[
        "waf-html",
        "bad-rows",
        "null",
        "wrong-currency",
        "negative-rate",
        "entity-bomb",
        "absurd-gold",
    ],
)
def test_hostile_answers_are_never_stored(
    alice: ApiUser,
    feed_mock: respx.MockRouter,
    engine: Engine,
    url: str,
    method: str,
    answer: Any,
) -> None:
    target, reply = answer
    getattr(feed_mock, method)(target).mock(return_value=reply)
    # Every fallback source is down too, so nothing trustworthy remains.
    feed_mock.get(ECB_DAILY).mock(return_value=httpx.Response(503))
    feed_mock.get(f"{STOOQ}/q/l/").mock(return_value=html_response("stooq_pow.html"))

    response = alice.get(url)

    assert response.status_code == 503, response.text
    assert closes(engine) == [] and rates(engine) == []
    assert prices_version(engine) == 0


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/prices/fund?code=../x", "code"),
        ("/api/prices/fund", "code"),
        ("/api/prices/fund?code=ABCDEFGHIJ", "code"),
        ("/api/prices/stock?symbol=" + "A" * 26, "symbol"),
        ("/api/prices/stock?symbol=A%20B", "symbol"),
        ("/api/prices/crypto?symbol=BTC-USD", "symbol"),
        ("/api/prices/metal?symbol=XPT", "symbol"),
        ("/api/prices/metal?symbol=XAU&unit=furlong", "unit"),
        ("/api/prices/metal?symbol=XAU&currency=DOLLAR", "currency"),
        ("/api/prices/fx?base=USD", "quote"),
        ("/api/prices/fx?base=US1&quote=TRY", "base"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(
    alice: ApiUser, feed_mock: respx.MockRouter, url: str, param: str
) -> None:
    response = alice.get(url)

    assert response.status_code == 422, response.text
    assert ["query", param] in [error["loc"] for error in response.json()["detail"]]
    assert not feed_mock.calls


def test_a_silver_coin_is_422_on_unit(alice: ApiUser, feed_mock: respx.MockRouter) -> None:
    feed_mock.get(f"{CHART}/SI=F").mock(return_value=json_response("yahoo_si_f.json"))

    response = alice.get("/api/prices/metal?symbol=XAG&unit=ceyrek")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "unit"]


@pytest.mark.parametrize(
    "path",
    [
        "metal?symbol=XAU",
        "fund?code=YAC",
        "stock?symbol=AAPL",
        "crypto?symbol=BTC",
        "fx?base=USD&quote=TRY",
    ],
)
def test_every_price_route_needs_a_session(
    client: Any, feed_mock: respx.MockRouter, path: str
) -> None:
    response = client.get(f"/api/prices/{path}")

    assert response.status_code == 401
    assert not feed_mock.calls
