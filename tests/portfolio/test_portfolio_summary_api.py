"""GET /api/portfolio: values, P&L, day change, allocation and holdings in a base currency."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from portfolio_seed import Store, store_fixture  # noqa: F401  (the `store` fixture)

if TYPE_CHECKING:
    from support import ApiUser


def _holding(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in body["holdings"] if h["name"] == name)


def test_holdings_without_a_stored_price_are_valued_at_their_own_trade(alice: ApiUser) -> None:
    gold = alice.create_asset(name="Gold", type="metal")
    fund = alice.create_asset(name="Fund", type="fund", ticker_symbol="YAC")
    alice.trade(gold["id"], "buy", "5", "2000", "2024-01-02", fee="10")
    alice.trade(fund["id"], "buy", "100", "1.5", "2024-01-03")

    response = alice.get("/api/portfolio")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["base_currency"] == "TRY"
    assert [h["name"] for h in body["holdings"]] == ["Gold", "Fund"]
    gold_row = _holding(body, "Gold")
    assert (gold_row["price"], gold_row["price_source"], gold_row["price_date"]) == (
        "2000",
        "trade",
        "2024-01-02",
    )
    assert gold_row["staleness_days"] == (date.fromisoformat(body["on"]) - date(2024, 1, 2)).days
    assert (gold_row["quantity"], gold_row["average_cost"]) == ("5", "2002")
    assert (gold_row["market_value"], gold_row["unrealized_pnl"]) == ("10000", "-10")
    assert body["total_market_value"] == "10150"
    assert (body["unpriced_count"], body["unpriced_cost_basis"]) == (0, "0")
    assert body["unpriced_cost_by_currency"] == []


def test_a_holding_never_priced_is_listed_with_value_null(alice: ApiUser) -> None:
    gift = alice.create_asset(name="Gift", type="metal")
    alice.trade(
        gift["id"], "buy", "5", "0", "2024-01-02", fee="10"
    )  # a price of 0 observes nothing
    body = alice.get("/api/portfolio").json()
    row = _holding(body, "Gift")
    assert (row["market_value"], row["unpriced_reason"], row["weight"]) == (None, "no_price", None)
    assert (row["price"], row["price_source"], row["cost_basis"]) == (None, None, "10")
    assert (body["total_market_value"], body["allocation_by_type"]) == ("0", [])
    assert (body["unpriced_count"], body["unpriced_cost_basis"]) == (1, "10")
    assert body["unpriced_cost_by_currency"] == [{"currency": "TRY", "amount": "10"}]


def test_an_empty_portfolio_is_all_zero(alice: ApiUser) -> None:
    body = alice.get("/api/portfolio").json()
    assert (body["total_market_value"], body["holdings"], body["day_change_pct"]) == ("0", [], None)


@pytest.fixture
def usd_stock(alice: ApiUser, store: Store) -> dict[str, Any]:
    stock = alice.create_asset(name="Apple", type="stock", ticker_symbol="AAPL", currency="USD")
    alice.trade(stock["id"], "buy", "10", "100", "2024-01-02")
    store.rates("USD", "TRY", [("2024-01-02", "30"), ("2024-06-27", "31"), ("2024-06-28", "32")])
    store.prices("AAPL", "yahoo", "USD", [("2024-06-27", "110"), ("2024-06-28", "120")])
    return stock


def test_a_usd_stock_viewed_in_try(alice: ApiUser, usd_stock: dict[str, Any]) -> None:
    body = alice.get("/api/portfolio").json()
    row = _holding(body, "Apple")
    # 10 x 120 USD x 32 today; cost 10 x 100 USD at the buy date's 30.
    assert (row["market_value"], row["cost_basis"], row["unrealized_pnl"]) == (
        "38400",
        "30000",
        "8400",
    )
    assert (row["price"], row["price_currency"], row["price_date"]) == ("120", "USD", "2024-06-28")
    assert row["staleness_days"] == (date.fromisoformat(body["on"]) - date(2024, 6, 28)).days
    assert (row["fx_rate"], row["fx_as_of"]) == ("32", "2024-06-28")
    # price effect (120 - 100) x 10 x 32, currency effect 1000 USD x (32 - 30).
    assert row["attribution"] == {"price_effect": "6400", "currency_effect": "2000"}
    # Nothing moved since yesterday: the last close and rate are of 2024-06-28.
    assert (body["day_change"], row["day_change"], row["day_change_pct"]) == ("0", "0", "0")
    assert body["unrealized_pnl_pct"] == "0.28"
    assert body["allocation_by_currency"] == [
        {"key": "USD", "market_value": "38400", "weight": "1"}
    ]


def test_the_same_stock_viewed_in_usd(alice: ApiUser, usd_stock: dict[str, Any]) -> None:
    body = alice.get("/api/portfolio?currency=usd").json()
    row = _holding(body, "Apple")
    assert body["base_currency"] == "USD"
    assert (row["market_value"], row["cost_basis"], row["attribution"]) == ("1200", "1000", None)


def test_the_base_currency_setting_is_the_default(
    alice: ApiUser, usd_stock: dict[str, Any]
) -> None:
    alice.put("/api/settings", json={"base_currency": "USD"})
    assert alice.get("/api/portfolio").json()["total_market_value"] == "1200"


def test_a_missing_rate_is_reported_never_taken_as_one(alice: ApiUser, store: Store) -> None:
    stock = alice.create_asset(name="Apple", type="stock", ticker_symbol="AAPL", currency="USD")
    alice.trade(stock["id"], "buy", "10", "100", "2024-01-02")
    store.prices("AAPL", "yahoo", "USD", [("2024-06-28", "120")])
    body = alice.get("/api/portfolio").json()
    row = _holding(body, "Apple")
    assert (row["market_value"], row["unpriced_reason"]) == (None, "no_rate")
    assert body["total_market_value"] == "0"
    # Its cost (1000 USD) cannot be put into TRY: not "0", but null and listed in USD.
    assert (row["cost_basis"], body["unpriced_count"], body["unpriced_cost_basis"]) == (
        None,
        1,
        None,
    )
    assert body["unpriced_cost_by_currency"] == [{"currency": "USD", "amount": "1000"}]
    assert alice.get("/api/portfolio?currency=EUR").json()["holdings"][0]["unpriced_reason"] == (
        "no_rate"
    )


def test_a_ceyrek_coin_is_valued_from_xau_spot(alice: ApiUser, store: Store) -> None:
    coin = alice.create_asset(name="Çeyrek", type="metal", unit="ceyrek")
    alice.trade(coin["id"], "buy", "2", "3000", "2024-01-02")
    store.prices("XAU", "metals", "USD", [("2024-06-28", "2000")])
    store.rates("USD", "TRY", [("2024-01-01", "30")])
    row = _holding(alice.get("/api/portfolio").json(), "Çeyrek")
    # One çeyrek: 1.754 g at 0.916 = 1.606664 g of gold; 2000 USD/ozt / 31.1034768 g/ozt
    # -> 103.31089417 USD a coin; two coins at 30 TRY/USD = 6198.65365019 TRY.
    assert row["price_currency"] == "USD"
    assert row["price"].startswith("103.310894169876211395")
    assert row["market_value"] == "6198.65365019"
    assert row["unrealized_pnl"] == "198.65365019"
    # Attribution splits P&L by the asset's (trade) currency, here the base itself.
    assert row["attribution"] is None


def test_a_gram_of_22k_gold_uses_the_assets_fineness(alice: ApiUser, store: Store) -> None:
    gold = alice.create_asset(
        name="22k", type="metal", unit="gram", fineness="0.916", currency="USD"
    )
    alice.trade(gold["id"], "buy", "31.1034768", "1", "2024-01-02")
    store.prices("XAU", "metals", "USD", [("2024-06-28", "2000")])
    body = alice.get("/api/portfolio?currency=USD").json()
    assert _holding(body, "22k")["market_value"] == "1832"  # one troy ounce at 0.916


def test_allocation_weights_and_a_closed_holding(alice: ApiUser, store: Store) -> None:
    fund = alice.create_asset(name="Fund", type="fund", ticker_symbol="YAC")
    gold = alice.create_asset(name="Gold", type="metal")
    sold = alice.create_asset(name="Sold", type="fund", ticker_symbol="ABC")
    alice.trade(fund["id"], "buy", "100", "1", "2024-01-02")
    alice.trade(gold["id"], "buy", "1", "2000", "2024-01-02")
    alice.trade(sold["id"], "buy", "10", "10", "2024-01-02")
    alice.trade(sold["id"], "sell", "10", "15", "2024-02-02", fee="5")
    store.prices("YAC", "tefas", "TRY", [("2024-06-28", "10")])
    alice.post(
        "/api/prices/manual", json={"asset_id": gold["id"], "date": "2024-06-28", "price": "3000"}
    )
    body = alice.get("/api/portfolio").json()
    assert body["total_market_value"] == "4000"
    assert body["allocation_by_type"] == [
        {"key": "metal", "market_value": "3000", "weight": "0.75"},
        {"key": "fund", "market_value": "1000", "weight": "0.25"},
    ]
    closed = _holding(body, "Sold")
    assert (closed["quantity"], closed["market_value"], closed["realized_pnl"]) == ("0", "0", "45")
    assert body["realized_pnl"] == "45"
    assert body["unrealized_pnl"] == "1900"


def test_a_manual_price_wins_over_the_feed_on_its_day(alice: ApiUser, store: Store) -> None:
    fund = alice.create_asset(name="Fund", type="fund", ticker_symbol="YAC")
    alice.trade(fund["id"], "buy", "1", "1", "2024-01-02")
    store.prices("YAC", "tefas", "TRY", [("2024-06-27", "2"), ("2024-06-28", "3")])
    alice.post(
        "/api/prices/manual", json={"asset_id": fund["id"], "date": "2024-06-28", "price": "4"}
    )
    row = _holding(alice.get("/api/portfolio").json(), "Fund")
    assert (row["price"], row["price_source"], row["price_date"]) == ("4", "manual", "2024-06-28")


def test_stooq_fills_the_days_yahoo_lacks(alice: ApiUser, store: Store) -> None:
    stock = alice.create_asset(name="THY", type="stock", ticker_symbol="thyao.is")
    alice.trade(stock["id"], "buy", "1", "1", "2024-01-02")
    store.prices("THYAO.IS", "yahoo", "TRY", [("2024-06-27", "250")])
    store.prices("THYAO.IS", "stooq", "TRY", [("2024-06-27", "999"), ("2024-06-28", "260")])
    row = _holding(alice.get("/api/portfolio").json(), "THY")
    assert (row["price"], row["price_source"], row["price_date"]) == ("260", "feed", "2024-06-28")


def test_manual_only_assets_ignore_feeds(alice: ApiUser, store: Store) -> None:
    fund = alice.create_asset(name="Fund", type="fund", ticker_symbol="YAC", price_source="manual")
    alice.trade(fund["id"], "buy", "1", "1", "2024-01-02")
    store.prices("YAC", "tefas", "TRY", [("2024-06-28", "3")])
    row = _holding(alice.get("/api/portfolio").json(), "Fund")
    assert (row["price"], row["price_source"]) == ("1", "trade")  # its own trade, not the feed


@pytest.mark.parametrize("currency", ["US", "DOLLAR", "U$D", "12"])
def test_a_bad_currency_is_422_naming_it(alice: ApiUser, currency: str) -> None:
    response = alice.get(f"/api/portfolio?currency={currency}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "currency"]


def test_each_user_sees_only_their_own(alice: ApiUser, bob: ApiUser, client: TestClient) -> None:
    gold = alice.create_asset()
    alice.trade(gold["id"], "buy", "1", "1", "2024-01-02")
    assert bob.get("/api/portfolio").json()["holdings"] == []
    assert client.get("/api/portfolio").status_code == 401
