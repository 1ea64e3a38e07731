"""Issue 8, sections 2 and 3 through the API: no missing price or rate is counted as zero,
and the day change counts market moves, not money moved."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from portfolio_seed import Store, store_fixture  # noqa: F401  (the `store` fixture)

if TYPE_CHECKING:
    from support import ApiUser


def _today(user: ApiUser) -> date:
    """Today in the user's time zone, as the API values the portfolio."""
    return date.fromisoformat(user.get("/api/portfolio").json()["on"])


def _holding(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in body["holdings"] if h["name"] == name)


@pytest.mark.parametrize("start", ["2023-12-01", "2024-01-01"])
def test_a_buy_before_the_first_close_counts_at_its_own_price(
    alice: ApiUser, store: Store, start: str
) -> None:
    fund = alice.create_asset(name="Fund", type="fund", ticker_symbol="YAC")
    alice.trade(fund["id"], "buy", "10", "100", "2024-01-01")
    store.prices("YAC", "tefas", "TRY", [("2024-01-02", "100"), ("2025-01-01", "110")])
    body = alice.get(f"/api/portfolio/history?from={start}&to=2025-01-01").json()
    assert body["twr"] == "0.1"
    assert abs(float(body["xirr"]) - (1.1 ** (365 / 366) - 1)) < 1e-8  # ≈ 0.099714
    assert (body["excluded"], body["unpriced_days"]) == ([], 0)
    first_day = next(p for p in body["points"] if p["date"] == "2024-01-01")
    assert first_day["market_value"] == "1000"  # the trade's own price, not 0


def test_coins_bought_at_a_price_and_priced_by_hand_today(alice: ApiUser) -> None:
    coin = alice.create_asset(name="Çeyrek", type="metal", unit="ceyrek")
    alice.trade(coin["id"], "buy", "2", "4000", "2024-01-02")
    today = _today(alice)
    response = alice.post(
        "/api/prices/manual",
        json={"asset_id": coin["id"], "date": today.isoformat(), "price": "10000"},
    )
    assert response.status_code == 201, response.text
    body = alice.get("/api/portfolio/history").json()
    assert (body["from"], body["to"]) == ("2024-01-02", today.isoformat())
    days = (today - date(2024, 1, 2)).days
    assert body["twr"] == "1.5"
    expected = Decimal("2.5") ** (Decimal(365) / Decimal(days)) - 1
    assert abs(Decimal(body["xirr"]) - expected) < Decimal("1e-8")
    row = _holding(alice.get("/api/portfolio").json(), "Çeyrek")
    assert (row["price"], row["price_source"], row["market_value"]) == ("10000", "manual", "20000")


def test_one_asset_without_a_rate_leaves_the_rest_of_the_history(
    alice: ApiUser, store: Store
) -> None:
    fund = alice.create_asset(name="Fund", type="fund", ticker_symbol="YAC")
    stock = alice.create_asset(name="Apple", type="stock", ticker_symbol="AAPL", currency="USD")
    alice.trade(fund["id"], "buy", "10", "1", "2024-01-01")
    alice.trade(stock["id"], "buy", "2", "100", "2024-01-02")
    store.prices("YAC", "tefas", "TRY", [("2024-01-01", "1"), ("2024-01-03", "1.5")])
    store.prices("AAPL", "yahoo", "USD", [("2024-01-03", "110")])  # no USD/TRY rate stored
    body = alice.get("/api/portfolio/history?from=2024-01-01&to=2024-01-03").json()
    assert [(p["market_value"], p["net_flow"]) for p in body["points"]] == [
        ("10", "10"),
        ("10", "0"),
        ("15", "0"),
    ]
    assert body["twr"] == "0.5"
    assert body["excluded"] == [
        {
            "asset_id": stock["id"],
            "name": "Apple",
            "reason": "no_rate",
            "from": "2024-01-02",
            "to": "2024-01-03",
        }
    ]
    assert [p["unpriced_count"] for p in body["points"]] == [0, 1, 1]
    summary = alice.get("/api/portfolio").json()
    assert (summary["total_market_value"], summary["unpriced_count"]) == ("15", 1)
    assert summary["unpriced_cost_basis"] is None
    assert summary["unpriced_cost_by_currency"] == [{"currency": "USD", "amount": "200"}]
    assert _holding(summary, "Apple")["unpriced_reason"] == "no_rate"


def test_an_asset_enters_at_its_value_when_its_first_rate_arrives(
    alice: ApiUser, store: Store
) -> None:
    stock = alice.create_asset(name="Apple", type="stock", ticker_symbol="AAPL", currency="USD")
    alice.trade(stock["id"], "buy", "1", "100", "2024-01-01")
    store.prices("AAPL", "yahoo", "USD", [("2024-01-03", "110"), ("2024-01-04", "121")])
    store.rates("USD", "TRY", [("2024-01-03", "30")])
    body = alice.get("/api/portfolio/history?from=2024-01-01&to=2024-01-04").json()
    assert [(p["market_value"], p["net_flow"], p["twr"]) for p in body["points"]] == [
        ("0", "0", "0"),
        ("0", "0", "0"),
        ("3300", "3300", "0"),  # enters at its value that day: no gain from arriving
        ("3630", "0", "0.1"),
    ]
    assert [(e["reason"], e["from"], e["to"]) for e in body["excluded"]] == [
        ("no_rate", "2024-01-01", "2024-01-02")
    ]


# --- day change ----------------------------------------------------------------------------


@pytest.fixture
def fund_closes(alice: ApiUser, store: Store) -> tuple[dict[str, Any], date]:
    """A fund closing 50 yesterday and 100 today (the user's days)."""
    fund = alice.create_asset(name="Fund", type="fund", ticker_symbol="YAC")
    today = _today(alice)
    yesterday = today - timedelta(days=1)
    store.prices("YAC", "tefas", "TRY", [(yesterday.isoformat(), "50"), (today.isoformat(), "100")])
    return fund, today


TODAY = "today"  # replaced by the user's today in each case


@pytest.mark.parametrize(
    ("trades", "change", "pct"),
    [
        # Money put in today is not a gain: bought 10 at today's 100 (yesterday 50).
        ([("buy", "10", "100", TODAY, "0")], "0", "0"),
        # A sale is not a loss: 10 worth 500 yesterday sold for 600 - 1 today; the market
        # gave 99 of it.
        ([("buy", "10", "40", "2024-01-02", "0"), ("sell", "10", "60", TODAY, "1")], "99", "0.198"),
        # 14 x 100 today - 4 x 50 yesterday - 902 put in today = 298, over 200 + 902.
        (
            [("buy", "4", "30", "2024-01-02", "0"), ("buy", "10", "90", TODAY, "2")],
            "298",
            "0.27041742",
        ),
    ],
)
def test_the_day_change_counts_market_moves_and_is_the_last_history_step(
    alice: ApiUser,
    fund_closes: tuple[dict[str, Any], date],
    trades: list[tuple[str, str, str, str, str]],
    change: str,
    pct: str,
) -> None:
    fund, today = fund_closes
    for kind, quantity, price, when, fee in trades:
        alice.trade(
            fund["id"], kind, quantity, price, today.isoformat() if when == TODAY else when, fee=fee
        )
    summary = alice.get("/api/portfolio").json()
    assert (summary["day_change"], summary["day_change_pct"]) == (change, pct)
    assert (
        _holding(summary, "Fund")["day_change"],
        _holding(summary, "Fund")["day_change_pct"],
    ) == (change, pct)
    yesterday = today - timedelta(days=1)
    points = alice.get(f"/api/portfolio/history?from={yesterday.isoformat()}").json()["points"]
    moved = (
        Decimal(points[1]["market_value"])
        - Decimal(points[0]["market_value"])
        - Decimal(points[1]["net_flow"])
    )
    assert moved == Decimal(change)
