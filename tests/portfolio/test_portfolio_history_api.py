"""GET /api/portfolio/history: points, TWR, XIRR, benchmarks (PME) and the real return."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from portfolio_seed import Store, store_fixture  # noqa: F401  (the `store` fixture)

if TYPE_CHECKING:
    from support import ApiUser

RANGE = "from=2024-01-01&to=2024-01-03"


@pytest.fixture
def fund(alice: ApiUser, store: Store) -> dict[str, Any]:
    """Buy 10 at 1.0 on day 1 and 10 at 1.2 on day 2; closes 1.0, 1.2, 1.5."""
    fund = alice.create_asset(name="Fund", type="fund", ticker_symbol="YAC")
    alice.trade(fund["id"], "buy", "10", "1", "2024-01-01T09:00:00Z")
    alice.trade(fund["id"], "buy", "10", "1.2", "2024-01-02T09:00:00Z")
    store.prices(
        "YAC", "tefas", "TRY", [("2024-01-01", "1"), ("2024-01-02", "1.2"), ("2024-01-03", "1.5")]
    )
    store.rates("USD", "TRY", [("2024-01-01", "30"), ("2024-01-02", "31"), ("2024-01-03", "33")])
    return fund


def test_points_twr_and_xirr_of_a_simple_case(alice: ApiUser, fund: dict[str, Any]) -> None:
    response = alice.get(f"/api/portfolio/history?{RANGE}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["base_currency"]) == ("2024-01-01", "2024-01-03", "TRY")
    assert [
        (p["date"], p["market_value"], p["net_invested"], p["net_flow"]) for p in body["points"]
    ] == [
        ("2024-01-01", "10", "10", "10"),
        ("2024-01-02", "24", "22", "12"),
        ("2024-01-03", "30", "22", "0"),
    ]
    # Day 2: the 12 bought counts from the day's start: 24 / (10 + 12); day 3: 30 / 24.
    assert [p["twr"] for p in body["points"]] == ["0", "0.09090909", "0.36363636"]
    assert body["twr"] == "0.36363636"
    # XIRR solves -10 - 12 v^(1/365) + 30 v^(2/365) = 0 with v = 1 / (1 + r).
    r = float(body["xirr"])
    npv = -10 - 12 / (1 + r) ** (1 / 365) + 30 / (1 + r) ** (2 / 365)
    assert abs(npv) < 1e-6
    assert r > 1e10  # 8 in 22 gained in two days, annualised
    assert body["unpriced_days"] == 0
    assert body["benchmark"] is None


def test_the_usdtry_benchmark_replays_the_flows_into_dollars(
    alice: ApiUser, fund: dict[str, Any]
) -> None:
    body = alice.get(f"/api/portfolio/history?{RANGE}&benchmark=usdtry").json()
    bench = body["benchmark"]
    # 10 TRY at 30 and 12 TRY at 31 buy 10/30 + 12/31 dollars, worth 33 TRY each at the end.
    assert (bench["symbol"], bench["series"], bench["reason"]) == (
        "USDTRY",
        "exchange_rates:USD/TRY",
        None,
    )
    assert bench["value"] == "23.77419355"
    assert bench["net_invested"] == "22"
    assert bench["price_return"] == "0.1"
    assert [p["benchmark_value"] for p in body["points"]] == ["10", "22.33333333", "23.77419355"]


def test_the_xau_benchmark_converts_spot_to_the_base(
    alice: ApiUser, fund: dict[str, Any], store: Store
) -> None:
    store.prices("XAU", "metals", "USD", [("2024-01-01", "2000"), ("2024-01-03", "2100")])
    bench = alice.get(f"/api/portfolio/history?{RANGE}&benchmark=XAU").json()["benchmark"]
    # Levels in TRY: 2000 x 30, 2000 x 31 (no close on day 2), 2100 x 33.
    # 10 / 60000 + 12 / 62000 ounces x 69300 = 24.96290323.
    assert (bench["value"], bench["price_return"], bench["series"]) == (
        "24.96290323",
        "0.155",
        "metals:XAU",
    )
    assert bench["simple_return"] == "0.13467742"


def test_cpi_gives_the_real_return_and_a_benchmark(
    alice: ApiUser, fund: dict[str, Any], store: Store
) -> None:
    store.prices("CPI-TR", "index", "TRY", [("2023-12-31", "100"), ("2024-01-03", "101")])
    body = alice.get(f"/api/portfolio/history?{RANGE}&benchmark=CPI").json()
    # (1 + 8/22) x 100 / 101 - 1
    assert body["real_return"] == {
        "series": "CPI-TR",
        "inflation": "0.01",
        "real_twr": "0.35013501",
        "reason": None,
    }
    assert body["benchmark"]["value"] == "22.22"
    assert body["benchmark"]["series"] == "index:CPI-TR"


def test_without_cpi_the_real_return_says_why(alice: ApiUser, fund: dict[str, Any]) -> None:
    body = alice.get(f"/api/portfolio/history?{RANGE}&currency=USD").json()
    assert body["real_return"] == {
        "series": "CPI-US",
        "inflation": None,
        "real_twr": None,
        "reason": "no_cpi",
    }


def test_a_benchmark_without_data_is_null_with_a_reason(
    alice: ApiUser, fund: dict[str, Any], store: Store
) -> None:
    bench = alice.get(f"/api/portfolio/history?{RANGE}&benchmark=XU100.IS").json()["benchmark"]
    assert (bench["value"], bench["reason"]) == (None, "no_data")
    store.prices("XU100.IS", "yahoo", "TRY", [("2024-01-02", "9000")])
    bench = alice.get(f"/api/portfolio/history?{RANGE}&benchmark=XU100.IS").json()["benchmark"]
    assert (bench["value"], bench["reason"]) == (None, "no_data_at_start")


def test_weekly_and_monthly_points_end_each_period(alice: ApiUser, fund: dict[str, Any]) -> None:
    body = alice.get("/api/portfolio/history?from=2024-01-01&to=2024-02-10&interval=week").json()
    dates = [p["date"] for p in body["points"]]
    assert dates[0] == "2024-01-07" and dates[-1] == "2024-02-10"
    assert body["points"][0]["net_flow"] == "22"
    monthly = alice.get("/api/portfolio/history?from=2024-01-01&to=2024-02-10&interval=month")
    assert [p["date"] for p in monthly.json()["points"]] == ["2024-01-31", "2024-02-10"]
    assert monthly.json()["points"][-1]["twr"] == body["points"][-1]["twr"]


def test_defaults_run_from_the_first_trade_to_today(alice: ApiUser, fund: dict[str, Any]) -> None:
    body = alice.get("/api/portfolio/history?interval=month").json()
    assert body["from"] == "2024-01-01"
    assert date.fromisoformat(body["to"]) >= datetime.now(UTC).date() - timedelta(days=1)


def test_no_trades_gives_one_point_today(alice: ApiUser) -> None:
    body = alice.get("/api/portfolio/history").json()
    assert len(body["points"]) == 1 and body["points"][0]["market_value"] == "0"
    assert (body["twr"], body["xirr"]) == ("0", None)


def test_an_asset_without_a_rate_is_left_out_and_named(
    alice: ApiUser, fund: dict[str, Any]
) -> None:
    body = alice.get(f"/api/portfolio/history?{RANGE}&currency=CHF").json()
    assert [p["market_value"] for p in body["points"]] == ["0", "0", "0"]
    assert body["excluded"] == [
        {
            "asset_id": fund["id"],
            "name": "Fund",
            "reason": "no_rate",
            "from": "2024-01-01",
            "to": "2024-01-03",
        }
    ]
    assert (body["twr"], body["xirr"], body["unpriced_days"]) == ("0", None, 3)


def test_unpriced_days_are_counted(alice: ApiUser, store: Store) -> None:
    gold = alice.create_asset(name="Gold", type="metal")
    alice.trade(gold["id"], "buy", "1", "0", "2024-01-02T09:00:00Z")  # a gift: no price
    body = alice.get(f"/api/portfolio/history?{RANGE}").json()
    assert body["unpriced_days"] == 2
    assert [(e["reason"], e["from"], e["to"]) for e in body["excluded"]] == [
        ("no_price", "2024-01-02", "2024-01-03")
    ]


FUTURE = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("from=2024-02-01&to=2024-01-01", "from"),
        ("from=01-02-2024", "from"),
        ("from=1700000000", "from"),
        ("from=2024-02-30", "from"),
        ("to=yesterday", "to"),
        (f"to={FUTURE}", "to"),
        ("from=1899-01-01", "from"),
        ("from=1950-01-01&to=2024-01-01", "from"),
        ("interval=year", "interval"),
        ("currency=EURO", "currency"),
        ("benchmark=%3Cscript%3E", "benchmark"),
        ("benchmark=" + "A" * 41, "benchmark"),
    ],
)
def test_bad_parameters_are_422_naming_them(alice: ApiUser, query: str, name: str) -> None:
    response = alice.get(f"/api/portfolio/history?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", name]


def test_it_needs_a_session(alice: ApiUser, client: Any) -> None:
    assert client.get("/api/portfolio/history").status_code == 401
