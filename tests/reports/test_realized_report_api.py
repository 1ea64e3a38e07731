"""GET /api/reports/realized: a hand-computed FIFO example, conversion at each trade day's
rate, CSV, validation, isolation; Türkiye mode with TCMB buying rates and Yİ-ÜFE; on
SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import ExchangeRate

if TYPE_CHECKING:
    from support import ApiUser

URL = "/api/reports/realized"


def store_rates(engine: Engine, base: str, quote: str, source: str, rates: dict[str, str]) -> None:
    rows = [
        {
            "day": date.fromisoformat(d),
            "base": base,
            "quote": quote,
            "rate": Decimal(r),
            "source": source,
        }
        for d, r in rates.items()
    ]
    with Session(engine) as db:
        db.execute(insert(ExchangeRate), rows)
        db.commit()


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
def usd_stock(alice: ApiUser, engine: Engine) -> dict[str, Any]:
    """Buy 10 @100 fee 10 (2023-03-01), buy 10 @120 (2023-06-01), sell 15 @150 fee 30
    (2024-02-01, a Thursday), sell 2 @90 (2025-01-10). USD/TRY stored by TCMB."""
    stock = alice.create_asset(
        name="Apple", type="stock", ticker_symbol="AAPL", currency="USD", foreign_security=True
    )
    for kind, qty, price, fee, day in (
        ("buy", "10", "100", "10", "2023-03-01"),
        ("buy", "10", "120", "0", "2023-06-01"),
        ("sell", "15", "150", "30", "2024-02-01"),
        ("sell", "2", "90", "0", "2025-01-10"),
    ):
        ok(alice.trade(stock["id"], kind, qty, price, day, fee=fee))
    store_rates(
        engine,
        "USD",
        "TRY",
        "tcmb",
        {"2023-03-01": "19", "2023-06-01": "21", "2024-01-31": "30", "2025-01-10": "35"},
    )
    return stock


def test_hand_computed_fifo_example_in_the_base_currency(
    alice: ApiUser, usd_stock: dict[str, Any]
) -> None:
    report = ok(alice.get(f"{URL}?year=2024"))
    assert (report["year"], report["currency"], report["method"], report["mode"]) == (
        2024,
        "TRY",
        None,
        "standard",
    )
    first, second = report["rows"]
    # 10 from the first lot (cost 1010 with its fee), 5 from the second (600); proceeds
    # 2250 - 30 = 2220 split by quantity: 1480 and 740.
    assert (first["buy_date"], first["sell_date"], first["quantity"]) == (
        "2023-03-01",
        "2024-02-01",
        "10",
    )
    assert (first["cost"], first["proceeds"], first["gain"]) == ("1010", "1480", "470")
    assert (second["cost"], second["proceeds"], second["gain"]) == ("600", "740", "140")
    # Cost at the buy day's rate, proceeds at the sell day's (2024-02-01 has none: 01-31's).
    assert first["cost_rate"] == {"rate": "19", "date": "2023-03-01", "via": None}
    assert first["proceeds_rate"] == {"rate": "30", "date": "2024-01-31", "via": None}
    assert (first["cost_converted"], first["proceeds_converted"], first["gain_converted"]) == (
        "19190",
        "44400",
        "25210",
    )
    assert second["cost_converted"] == "12600"
    assert report["totals"] == {"proceeds": "66600", "cost": "31790", "gain": "34810"}
    [asset] = report["per_asset"]
    assert (asset["asset_name"], asset["method"], asset["quantity"], asset["gain"]) == (
        "Apple",
        "fifo",
        "15",
        "610",
    )
    assert asset["converted"] == report["totals"]
    assert first["asset_id"] == usd_stock["id"]
    # In the asset's own currency every rate is exactly 1; method=fifo gives the same rows.
    usd = ok(alice.get(f"{URL}?year=2024&currency=usd&method=fifo"))
    assert usd["currency"] == "USD" and usd["method"] == "fifo"
    assert usd["totals"] == {"proceeds": "2220", "cost": "1610", "gain": "610"}
    # Another method, without changing the asset: lifo takes the 120 lot first (10 × 120 +
    # 5 × 101); average costs every unit at 2210 / 20 = 110.5.
    expected = [
        ("lifo", "1705", "515"),
        ("hifo", "1705", "515"),
        ("average", "1657.5", "562.5"),
        ("specific", "1610", "610"),
    ]
    for method, cost, gain in expected:
        other = ok(alice.get(f"{URL}?year=2024&currency=USD&method={method}"))
        assert other["totals"] == {"proceeds": "2220", "cost": cost, "gain": gain}, method
        assert (other["method"], other["per_asset"][0]["method"]) == (method, method)
    lifo = ok(alice.get(f"{URL}?year=2024&method=lifo"))["rows"]
    assert [(r["buy_date"], r["quantity"], r["cost_converted"]) for r in lifo] == [
        ("2023-06-01", "10", "25200"),  # 1200 at the buy day's 21
        ("2023-03-01", "5", "9595"),  # 505 at 19
    ]
    assert ok(alice.get(f"{URL}?year=2024"))["per_asset"][0]["method"] == "fifo"


def test_a_year_without_sells_and_a_missing_rate(alice: ApiUser, usd_stock: dict[str, Any]) -> None:
    empty = ok(alice.get(f"{URL}?year=2023"))
    assert empty["rows"] == [] and empty["per_asset"] == []
    assert empty["totals"] == {"proceeds": "0", "cost": "0", "gain": "0"}
    # No EUR rate is stored: the figures are missing, never guessed.
    eur = ok(alice.get(f"{URL}?year=2025&currency=EUR"))
    [row] = eur["rows"]
    assert row["proceeds_rate"] is None and row["gain_converted"] is None
    assert eur["totals"] == {"proceeds": None, "cost": None, "gain": None}
    assert row["gain"] == "-60"  # 180 - 2 × 120 (the second lot's unit cost)


def test_csv_export_matches_the_json(alice: ApiUser, usd_stock: dict[str, Any]) -> None:
    report = ok(alice.get(f"{URL}?year=2024"))
    for response in (
        alice.get(f"{URL}?year=2024&format=csv"),
        alice.client.get(f"{URL}?year=2024", headers={**alice.headers, "Accept": "text/csv"}),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert 'filename="realized-2024-TRY.csv"' in response.headers["content-disposition"]
        lines = list(csv.DictReader(io.StringIO(response.text)))
        assert [
            (
                r["buy_date"],
                r["quantity"],
                r["cost"],
                r["proceeds"],
                r["gain"],
                r["cost_rate"],
                r["cost_rate_date"],
                r["proceeds_rate_date"],
                r["gain_converted"],
                r["currency"],
            )
            for r in lines
        ] == [
            (
                j["buy_date"],
                j["quantity"],
                j["cost"],
                j["proceeds"],
                j["gain"],
                j["cost_rate"]["rate"],
                j["cost_rate"]["date"],
                j["proceeds_rate"]["date"],
                j["gain_converted"],
                "TRY",
            )
            for j in report["rows"]
        ]
        assert lines[0]["gain_converted"] == "25210"
    header = alice.get(f"{URL}?year=2023&format=csv").text.splitlines()
    assert len(header) == 1 and header[0].startswith("asset_name,asset_currency,buy_date")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "year"),
        ("year=abc", "year"),
        ("year=1800", "year"),
        ("year=2024&method=moonphase", "method"),
        ("year=2024&currency=DOLLAR", "currency"),
        ("year=2024&currency=ZZZ", "currency"),
        ("year=2024&mode=us", "mode"),
        ("year=2024&format=xml", "format"),
    ],
)
def test_bad_queries_are_422_naming_the_parameter(
    alice: ApiUser, usd_stock: dict[str, Any], query: str, field: str
) -> None:
    response = alice.get(f"{URL}?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_each_user_sees_only_their_own_sells(
    alice: ApiUser, bob: ApiUser, usd_stock: dict[str, Any], client: Any
) -> None:
    assert ok(bob.get(f"{URL}?year=2024"))["rows"] == []
    assert ok(bob.get(f"{URL}?year=2024&mode=tr"))["rows"] == []
    assert ok(bob.get(f"{URL}?year=2024&mode=tr&method=lifo"))["method"] == "fifo"
    gold = bob.create_asset(name="Gold", type="metal")
    ok(bob.trade(gold["id"], "buy", "2", "1000", "2024-01-05"))
    ok(bob.trade(gold["id"], "sell", "1", "1500", "2024-03-05"))
    assert [r["asset_name"] for r in ok(bob.get(f"{URL}?year=2024"))["rows"]] == ["Gold"]
    assert [r["asset_name"] for r in ok(alice.get(f"{URL}?year=2024"))["rows"]] == [
        "Apple",
        "Apple",
    ]
    assert client.get(f"{URL}?year=2024").status_code == 401


# --- Türkiye mode ---------------------------------------------------------------------------


def put_index(user: ApiUser, values: dict[str, str]) -> None:
    body = [{"month": m, "value": v} for m, v in values.items()]
    ok(user.post("/api/indices/yi-ufe", json=body))


def test_tr_mode_indexes_above_ten_percent_and_shows_its_working(
    alice: ApiUser, engine: Engine, usd_stock: dict[str, Any]
) -> None:
    # A BIST share (withholding) and a crypto asset (not covered) with sells in 2024.
    bist = alice.create_asset(name="THY", type="stock", ticker_symbol="THYAO.IS")
    ok(alice.trade(bist["id"], "buy", "10", "200", "2024-01-02"))
    ok(alice.trade(bist["id"], "sell", "4", "250", "2024-05-02"))
    coin = alice.create_asset(
        name="Bitcoin", type="crypto", ticker_symbol="bitcoin", currency="USD"
    )
    ok(alice.trade(coin["id"], "buy", "1", "100", "2024-01-02"))
    ok(alice.trade(coin["id"], "sell", "1", "150", "2024-05-02"))
    # An ECB rate of the sell day itself is not a TCMB buying rate: it is not used.
    store_rates(engine, "USD", "TRY", "ecb", {"2024-02-01": "99"})
    # Month before the purchases: 2023-02 and 2023-05; before the sale: 2024-01.
    put_index(alice, {"2023-02": "100", "2023-05": "120", "2024-01": "130"})
    report = ok(alice.get(f"{URL}?year=2024&mode=tr"))
    assert (report["currency"], report["method"], report["mode"]) == ("TRY", "fifo", "tr")
    first, second = report["rows"]
    assert first["cost_rate"] == {
        "rate": "19",
        "date": "2023-03-01",
        "fallback": False,
        "source": "tcmb",
    }
    # 2024-02-01 has no TCMB bulletin stored: 2024-01-31's, flagged.
    assert first["proceeds_rate"] == {
        "rate": "30",
        "date": "2024-01-31",
        "fallback": True,
        "source": "tcmb",
    }
    assert (first["cost_try"], first["proceeds_try"]) == ("19190", "44400")
    assert (first["index_buy_month"], first["index_sell_month"]) == ("2023-02", "2024-01")
    assert (first["ratio"], first["indexed"]) == ("1.3", True)  # 130 / 100: 30 % >= 10 %
    assert first["indexed_cost_try"] == "24947" and first["gain_try"] == "19453"
    # Second lot: 130 / 120 = 8.33 % < 10 %: not indexed.
    assert (
        second["indexed"] is False and second["indexed_cost_try"] == second["cost_try"] == "12600"
    )
    assert second["gain_try"] == "9600"
    tr = report["tr"]
    assert tr["declaration_deadline"] == "2025-03-31"
    assert (tr["net_gain"], tr["declared_gain"], tr["missing"]) == ("29053", "29053", [])
    assert report["totals"] == {"proceeds": "66600", "cost": "31790", "gain": "29053"}
    assert [(w["asset_name"], w["gain"]) for w in tr["withholding"]] == [("THY", "200")]
    assert tr["not_covered"] == ["Bitcoin"]
    csv_text = alice.get(f"{URL}?year=2024&mode=tr&format=csv")
    assert 'filename="realized-2024-TRY-tr.csv"' in csv_text.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(csv_text.text)))
    assert [(r["section"], r["asset_name"], r["gain_try"], r["indexed"]) for r in lines] == [
        ("declared", "Apple", "19453", "true"),
        ("declared", "Apple", "9600", "false"),
        ("withholding", "THY", "", ""),
    ]
    assert lines[0]["proceeds_rate_fallback"] == "true" and lines[0]["ratio"] == "1.3"


def test_tr_mode_reports_missing_months_and_rates_and_uses_manual_rates(
    alice: ApiUser, usd_stock: dict[str, Any]
) -> None:
    put_index(alice, {"2023-02": "100"})
    report = ok(alice.get(f"{URL}?year=2025&mode=tr"))
    [row] = report["rows"]
    assert row["missing"] == ["index yi-ufe 2023-05", "index yi-ufe 2024-12"]
    # 2 × 90 × 35 = 6300 against 240 × 21 = 5040: a gain, which the index may lower.
    assert (row["proceeds_try"], row["cost_try"], row["gain_try"]) == ("6300", "5040", None)
    assert report["tr"]["declared_gain"] is None
    assert report["tr"]["missing"] == row["missing"]
    put_index(alice, {"2023-05": "120", "2024-12": "131.99"})  # 9.99 %: not indexed
    row = ok(alice.get(f"{URL}?year=2025&mode=tr"))["rows"][0]
    assert (row["indexed"], row["gain_try"], row["missing"]) == (False, "1260", [])
    put_index(alice, {"2024-12": "132"})  # exactly 10 %: indexed, 5040 × 1.1 = 5544
    row = ok(alice.get(f"{URL}?year=2025&mode=tr"))["rows"][0]
    assert (row["indexed"], row["indexed_cost_try"], row["gain_try"]) == (True, "5544", "756")
    # A manual rate of the sell day wins and is named as such.
    ok(
        alice.post(
            "/api/rates/manual",
            json={"base": "USD", "quote": "TRY", "date": "2025-01-10", "rate": "36"},
        )
    )
    row = ok(alice.get(f"{URL}?year=2025&mode=tr"))["rows"][0]
    assert row["proceeds_rate"] == {
        "rate": "36",
        "date": "2025-01-10",
        "fallback": False,
        "source": "manual",
    }


def test_tr_mode_never_enlarges_a_loss(alice: ApiUser, engine: Engine) -> None:
    stock = alice.create_asset(
        name="Loser", type="stock", ticker_symbol="LOSE", currency="USD", foreign_security=True
    )
    ok(alice.trade(stock["id"], "buy", "1", "100", "2021-11-15"))
    ok(alice.trade(stock["id"], "sell", "1", "50", "2024-09-13"))
    store_rates(engine, "USD", "TRY", "tcmb", {"2021-11-15": "10", "2024-09-13": "34"})
    # The guide's structure: bought November 2021, sold September 2024 -> October 2021 and
    # August 2024.
    put_index(alice, {"2021-10": "500", "2024-08": "2000"})
    [row] = ok(alice.get(f"{URL}?year=2024&mode=tr"))["rows"]
    assert (row["index_buy_month"], row["index_sell_month"], row["ratio"]) == (
        "2021-10",
        "2024-08",
        "4",
    )
    # 1700 - 1000 = 700 unindexed; indexed cost 4000 would make it -2300: it stops at zero.
    assert (row["indexed_cost_try"], row["gain_try"]) == ("4000", "0")
    # A loss: the unindexed loss stands, never enlarged.
    ok(alice.put(f"/api/assets/{stock['id']}", json={"foreign_security": True}))
    txs = alice.get("/api/transactions").json()
    sell = next(t for t in txs if t["type"] == "sell" and t["asset_id"] == stock["id"])
    ok(alice.put(f"/api/transactions/{sell['id']}", json={"price_per_unit": "20"}))
    [row] = ok(alice.get(f"{URL}?year=2024&mode=tr"))["rows"]
    assert row["gain_try"] == "-320" and row["indexed"] is True


def test_foreign_security_on_the_asset(
    alice: ApiUser, bob: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    asset = alice.create_asset(name="Plain", type="stock", ticker_symbol="X")
    assert asset["foreign_security"] is False
    assert (
        ok(alice.put(f"/api/assets/{asset['id']}", json={"foreign_security": True}))[
            "foreign_security"
        ]
        is True
    )
    assert alice.get(f"/api/assets/{asset['id']}").json()["foreign_security"] is True
    before = count_rows()
    for value in (None, "maybe", 3):
        response = alice.put(f"/api/assets/{asset['id']}", json={"foreign_security": value})
        assert response.status_code == 422, (value, response.text)
        assert response.json()["detail"][0]["loc"][-1] == "foreign_security"
    assert count_rows() == before
    assert (
        bob.put(f"/api/assets/{asset['id']}", json={"foreign_security": False}).status_code == 404
    )
    assert alice.get(f"/api/assets/{asset['id']}").json()["foreign_security"] is True


def test_a_split_is_applied_and_bonus_shares_keep_the_lots_date(
    alice: ApiUser, engine: Engine
) -> None:
    """Buy 10 at 100, a 2-for-1 split, sell 20 at 60: one row of 20 from the 2023 lot,
    cost 1000 (unchanged), proceeds 1200; Türkiye mode uses the lot's own buy date."""
    stock = alice.create_asset(
        name="Splitter", type="stock", ticker_symbol="SPLT", currency="USD", foreign_security=True
    )
    ok(alice.trade(stock["id"], "buy", "10", "100", "2023-01-10"))
    ok(
        alice.post(
            f"/api/assets/{stock['id']}/corporate-actions",
            json={"type": "split", "ex_date": "2023-06-01", "numerator": "2", "denominator": "1"},
        )
    )
    ok(alice.trade(stock["id"], "sell", "20", "60", "2024-03-05"))
    store_rates(engine, "USD", "TRY", "tcmb", {"2023-01-10": "19", "2024-03-05": "31"})
    report = ok(alice.get(f"{URL}?year=2024&currency=USD"))
    [row] = report["rows"]
    assert (row["buy_date"], row["quantity"], row["cost"], row["proceeds"]) == (
        "2023-01-10",
        "20",
        "1000",
        "1200",
    )
    put_index(alice, {"2022-12": "100", "2024-02": "105"})
    [tr_row] = ok(alice.get(f"{URL}?year=2024&mode=tr"))["rows"]
    assert (tr_row["cost_try"], tr_row["proceeds_try"], tr_row["gain_try"]) == (
        "19000",
        "37200",
        "18200",
    )
