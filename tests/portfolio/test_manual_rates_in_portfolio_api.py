"""A manual exchange rate in the portfolio: it values what no stored rate could, and wins
over a stored rate of its pair and day — for its user only, in the summary and history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from portfolio_seed import Store, store_fixture  # noqa: F401  (the `store` fixture)

if TYPE_CHECKING:
    from support import ApiUser

URL = "/api/rates/manual"


def _rate(user: ApiUser, **fields: Any) -> Any:
    body = {"base": "USD", "quote": "TRY", "date": "2024-03-01", "rate": "31.5", **fields}
    return user.post(URL, json=body)


@pytest.fixture
def usd_stock(alice: ApiUser, store: Store) -> dict[str, Any]:
    """10 shares bought at 100 USD on 2024-01-02, closing 110 on 2024-01-03; no stored rate."""
    stock = alice.create_asset(name="Apple", type="stock", ticker_symbol="AAPL", currency="USD")
    alice.trade(stock["id"], "buy", "10", "100", "2024-01-02")
    store.prices("AAPL", "yahoo", "USD", [("2024-01-03", "110")])
    return stock


def test_a_manual_rate_values_a_holding_no_stored_rate_could(
    alice: ApiUser, bob: ApiUser, usd_stock: dict[str, Any]
) -> None:
    assert alice.get("/api/portfolio").json()["holdings"][0]["unpriced_reason"] == "no_rate"
    # Entered as TRY/USD: used inverted for USD -> TRY, and carried forward to today.
    assert _rate(alice, base="TRY", quote="USD", date="2024-01-02", rate="0.025").status_code == 201
    row = alice.get("/api/portfolio").json()["holdings"][0]
    assert (row["market_value"], row["cost_basis"], row["fx_rate"]) == ("44000", "40000", "40")
    history = alice.get("/api/portfolio/history?from=2024-01-02&to=2024-01-03").json()
    assert [p["market_value"] for p in history["points"]] == ["40000", "44000"]
    assert (history["twr"], history["excluded"]) == ("0.1", [])
    # Bob's figures are his own.
    stock = bob.create_asset(name="Apple", type="stock", ticker_symbol="AAPL", currency="USD")
    bob.trade(stock["id"], "buy", "1", "100", "2024-01-02")
    assert bob.get("/api/portfolio").json()["holdings"][0]["unpriced_reason"] == "no_rate"


def test_a_manual_rate_wins_over_a_stored_one_of_its_day(
    alice: ApiUser, bob: ApiUser, usd_stock: dict[str, Any], store: Store
) -> None:
    store.rates("USD", "TRY", [("2024-01-02", "30"), ("2024-01-03", "31")])
    assert _rate(alice, date="2024-01-03", rate="33").status_code == 201
    history = alice.get("/api/portfolio/history?from=2024-01-02&to=2024-01-03").json()
    assert [p["market_value"] for p in history["points"]] == ["30000", "36300"]
    assert alice.get("/api/portfolio").json()["holdings"][0]["fx_rate"] == "33"
    stock = bob.create_asset(name="Apple", type="stock", ticker_symbol="AAPL", currency="USD")
    bob.trade(stock["id"], "buy", "1", "100", "2024-01-02")
    assert bob.get("/api/portfolio").json()["holdings"][0]["fx_rate"] == "31"
    # Deleting it gives the stored rate back.
    rate_id = alice.get(URL).json()[0]["id"]
    assert alice.delete(f"{URL}/{rate_id}").status_code == 204
    assert alice.get("/api/portfolio").json()["holdings"][0]["fx_rate"] == "31"


def test_realised_pnl_follows_a_change_of_the_assets_currency(alice: ApiUser) -> None:
    """The realised P&L in the base currency kept with an asset's figures is keyed by the
    asset's currency too: editing the currency converts at the new one's rates at once."""
    assert _rate(alice, base="USD", quote="TRY", date="2024-01-01", rate="30").status_code == 201
    assert _rate(alice, base="EUR", quote="TRY", date="2024-01-01", rate="40").status_code == 201
    stock = alice.create_asset(name="S", type="stock", ticker_symbol="S", currency="USD")
    alice.trade(stock["id"], "buy", "10", "10", "2024-01-02")
    alice.trade(stock["id"], "sell", "5", "20", "2024-01-03")
    assert alice.get("/api/portfolio").json()["realized_pnl"] == "1500"
    assert alice.put(f"/api/assets/{stock['id']}", json={"currency": "EUR"}).status_code == 200
    assert alice.get("/api/portfolio").json()["realized_pnl"] == "2000"
