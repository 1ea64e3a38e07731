"""POST /api/import and GET /api/export over the real app, on SQLite and PostgreSQL:
export then import into an empty account gives the same portfolio; a file with any problem
is refused by row and writes nothing; a dry run writes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from portfolio_tracker.transactions.csv_io import COLUMNS

if TYPE_CHECKING:
    from support import ApiUser

HEADER = ",".join(COLUMNS)
UNSTABLE = {"id", "asset_id", "transaction_id", "created_at", "updated_at", "as_of"}


def _stable(value: Any) -> Any:
    """The figures without the ids and timestamps that differ between two accounts."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in sorted(value.items()) if k not in UNSTABLE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _portfolio(user: ApiUser) -> dict[str, Any]:
    """Assets (with holding, open lots and realised sells) by name, and the portfolio."""
    assets = {}
    for asset in user.get("/api/assets").json():
        detail = user.get(f"/api/assets/{asset['id']}").json()
        lots = user.get(f"/api/assets/{asset['id']}/lots").json()
        realized = user.get(f"/api/assets/{asset['id']}/realized").json()
        assets[asset["name"]] = _stable({"asset": detail, "lots": lots, "realized": realized})
    portfolio = user.get("/api/portfolio").json()
    holdings = sorted(_stable(portfolio.pop("holdings")), key=lambda h: str(h))
    return {"assets": assets, "portfolio": _stable(portfolio), "holdings": holdings}


def _import(user: ApiUser, text: str, *, dry_run: bool = False, **kwargs: Any) -> Any:
    url = f"/api/import?dry_run={'true' if dry_run else 'false'}"
    headers = {**user.headers, "Content-Type": "text/csv"}
    return user.client.post(url, content=text.encode(), headers=headers, **kwargs)


def _upload(user: ApiUser, data: bytes, dry_run: bool = False) -> Any:
    url = f"/api/import?dry_run={'true' if dry_run else 'false'}"
    return user.post(url, files={"file": ("transactions.csv", data, "text/csv")})


def _sample(user: ApiUser) -> None:
    gold = user.create_asset(name="Gram gold", type="metal", unit="gram", fineness="0.995")
    coins = user.create_asset(name="Çeyrek", type="metal", unit="ceyrek", price_source="manual")
    fund = user.create_asset(name='Fund; "quoted", with commas', type="fund", ticker_symbol="yac")
    apple = user.create_asset(name="Apple", type="stock", ticker_symbol="AAPL", currency="USD")
    trades = [
        (gold, "buy", "10.5", "2000.25", "2024-01-02", {"fee": "12.5", "note": "first, lot"}),
        (gold, "buy", "3", "2100", "2024-01-02", {}),  # same instant: entry order decides
        (gold, "sell", "11", "2300", "2024-03-01T10:30:00+03:00", {"fee": "3"}),
        (gold, "buy", "0.000000000000000001", "1", "2024-03-02", {"note": "  spaced note "}),
        (coins, "buy", "4", "9000", "2023-06-01", {}),
        (coins, "sell", "4", "9500", "2023-07-01", {}),
        (fund, "buy", "1000", "1.234567", "2022-01-03", {"note": "line one\nline two"}),
        (fund, "sell", "250", "1.5", "2023-01-03", {}),
        (apple, "buy", "5", "180", "2024-02-01T15:00:00Z", {"fee": "1"}),
        (apple, "sell", "5", "190", "2024-02-01T15:00:00Z", {}),
    ]
    for asset, kind, quantity, price, when, extra in trades:
        response = user.trade(asset["id"], kind, quantity, price, when, **extra)
        assert response.status_code == 201, response.text


def test_export_then_import_into_an_empty_account_gives_the_same_portfolio(
    make_user: Callable[..., ApiUser],
) -> None:
    alice, bob = make_user(), make_user()
    _sample(alice)

    exported = alice.get("/api/export?format=csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 10 and list(rows[0]) == list(COLUMNS)

    imported = _upload(bob, exported.content)

    assert imported.status_code == 201, imported.text
    assert imported.json() == {
        "rows": 10,
        "assets_created": 4,
        "transactions": 10,
        "errors": [],
        "error_count": 0,
        "ok": True,
    }
    assert _portfolio(bob) == _portfolio(alice)
    keep = {"name", "type", "ticker_symbol", "currency", "unit", "fineness", "price_source"}
    by_name = {a["name"]: {k: a[k] for k in keep} for a in alice.get("/api/assets").json()}
    assert {a["name"]: {k: a[k] for k in keep} for a in bob.get("/api/assets").json()} == by_name
    notes = sorted(t["note"] or "" for t in bob.get("/api/transactions").json())
    assert notes == sorted(t["note"] or "" for t in alice.get("/api/transactions").json())
    # And the export of the copy is the export of the original.
    assert bob.get("/api/export").text == exported.text


def test_json_export_has_the_csv_records(alice: ApiUser, bob: ApiUser) -> None:
    _sample(alice)
    as_json = alice.get("/api/export?format=json")
    assert as_json.status_code == 200
    assert as_json.headers["content-disposition"].startswith("attachment")
    as_csv = list(csv.DictReader(io.StringIO(alice.get("/api/export").text)))
    assert [{k: v or "" for k, v in r.items()} for r in as_json.json()] == as_csv
    # Only your own rows.
    assert bob.get("/api/export?format=json").json() == []
    assert bob.get("/api/export").text.strip() == HEADER


def test_a_file_with_one_bad_row_is_refused_by_row_and_writes_nothing(
    alice: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    text = "\n".join(
        [
            HEADER,
            "Gold,metal,,TRY,gram,,auto,buy,10,2000,0,2024-01-02,",
            "Gold,metal,,TRY,gram,,auto,buy,-1,2000,0,2024-01-03,",
            "Apple,stock,AAPL,USD,,,auto,buy,1,100,,2999-01-01,",
            "Apple,stock,AAPL,USD,,,auto,sell,1,100,,2024-01-01,",
        ]
    )
    before = count_rows()

    refused = _import(alice, text)

    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["ok"] is False and body["rows"] == 4
    located = {(e["row"], e["column"]) for e in body["errors"]}
    assert located == {(3, "quantity"), (4, "transaction_date")}
    assert {tuple(d["loc"]) for d in body["detail"]} == {
        ("body", 3, "quantity"),
        ("body", 4, "transaction_date"),
    }
    assert count_rows() == before


def test_a_dry_run_reports_and_writes_nothing(
    alice: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    good = f"{HEADER}\nGold,metal,,TRY,gram,,auto,buy,10,2000,0,2024-01-02,\n"
    bad = good + "Gold,metal,,TRY,gram,,auto,sell,11,2000,0,2024-01-03,\n"
    before = count_rows()

    ok = _import(alice, good, dry_run=True)
    refused = _import(alice, bad, dry_run=True)

    assert ok.status_code == 200
    assert ok.json() == {
        "rows": 1,
        "assets_created": 1,
        "transactions": 1,
        "errors": [],
        "error_count": 0,
        "ok": True,
    }
    assert refused.status_code == 200
    assert refused.json()["ok"] is False
    assert refused.json()["errors"][0]["row"] == 3
    assert "exceeds holdings" in refused.json()["errors"][0]["msg"]
    assert count_rows() == before


def test_the_history_rule_runs_over_recorded_and_imported_trades(
    alice: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    gold = alice.create_asset(name="Gold", type="metal", unit="gram")
    alice.trade(gold["id"], "buy", "10", "2000", "2024-01-02")
    alice.trade(gold["id"], "sell", "8", "2100", "2024-06-01")
    before = count_rows()

    # Selling 5 in March leaves 5: the recorded sell of 8 in June would then oversell.
    refused = _import(alice, f"{HEADER}\nGold,metal,,,gram,,,sell,5,2050,,2024-03-01,\n")
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["row"] == 2 and "recorded sell on 2024-06-01" in error["msg"]
    assert count_rows() == before

    accepted = _import(alice, f"{HEADER}\nGold,metal,,,gram,,,sell,2,2050,,2024-03-01,\n")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["assets_created"] == 0
    holding = alice.get(f"/api/assets/{gold['id']}").json()["holding"]
    assert holding["quantity"] == "0"


def test_cells_given_for_a_recorded_asset_must_agree_with_it(alice: ApiUser) -> None:
    alice.create_asset(name="Apple", type="stock", ticker_symbol="AAPL", currency="USD")
    refused = _import(alice, f"{HEADER}\nApple,stock,aapl,EUR,,,,buy,1,100,,2024-01-01,\n")
    assert refused.status_code == 422
    assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == [(2, "currency")]
    # Rows of one new asset must agree with each other too.
    text = (
        f"{HEADER}\nX,stock,X,USD,,,,buy,1,1,,2024-01-01,\nX,stock,X,EUR,,,,buy,1,1,,2024-01-02,\n"
    )
    assert [(e["row"], e["column"]) for e in _import(alice, text).json()["errors"]] == [
        (3, "currency")
    ]


def test_excel_style_files_are_read(alice: ApiUser) -> None:
    """UTF-8 with a byte-order mark, `;` delimiter, decimal commas, columns in any order and
    only the required ones."""
    text = (
        "transaction_date;type;asset_type;asset_name;quantity;price_per_unit;fee\r\n"
        "2024-01-02;buy;metal;Altın;1,5;2500,75;2,5\r\n"
    )
    response = _upload(alice, text.encode("utf-8-sig"))
    assert response.status_code == 201, response.text
    [asset] = alice.get("/api/assets").json()
    assert (asset["name"], asset["currency"], asset["price_source"]) == ("Altın", "TRY", "auto")
    [trade] = alice.get("/api/transactions").json()
    assert (trade["quantity"], trade["price_per_unit"], trade["fee"]) == ("1.5", "2500.75", "2.5")


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("", None),
        ("asset_name,asset_type,type,quantity,price_per_unit\n", "transaction_date"),
        (f"{HEADER},colour\n", "colour"),
        (f"{HEADER}\n", None),
    ],
    ids=["empty", "missing column", "unknown column", "no rows"],
)
def test_file_level_problems_are_reported_at_the_header(
    alice: ApiUser, text: str, column: str | None
) -> None:
    response = _import(alice, text)
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(1, column)]


def test_bytes_that_are_not_utf8_are_refused(alice: ApiUser) -> None:
    response = _upload(alice, f"{HEADER}\nAltın".encode("cp1254"))
    assert response.status_code == 422
    assert "UTF-8" in response.json()["errors"][0]["msg"]


def test_request_shapes(alice: ApiUser, count_rows: Callable[[], dict[str, int]]) -> None:
    before = count_rows()
    json_type = {**alice.headers, "Content-Type": "application/json"}
    wrong_type = alice.client.post("/api/import", content=b"{}", headers=json_type)
    assert wrong_type.status_code == 415 and "detail" in wrong_type.json()
    no_file = alice.post("/api/import", files={"other": ("a.csv", b"x")})
    assert no_file.status_code == 422
    assert no_file.json()["detail"][0]["loc"] == ["body", "file"]
    too_big = _import(alice, "x" * (20 * 1024 * 1024 + 1))
    assert too_big.status_code == 413 and "20 MiB" in too_big.json()["detail"]
    assert count_rows() == before


def test_the_readme_example_imports(alice: ApiUser) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("```csv\n", 1)[1].split("```", 1)[0]
    response = _import(alice, example)
    assert response.status_code == 201, response.text
    assert response.json()["transactions"] == 3
