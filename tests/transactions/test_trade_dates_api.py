"""Issue 8, sections 1 and 4: a date is a calendar day in the user's time zone, and one order
of trades (day, time where given, date-only last, then entry order) everywhere."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

if TYPE_CHECKING:
    from support import ApiUser


def _ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def _set_zone(user: ApiUser, zone: str) -> None:
    _ok(user.put("/api/settings", json={"time_zone": zone}), 200)


# --- 1. a date is a calendar day in the user's time zone ----------------------------------


def test_a_date_only_sell_counts_after_a_timed_buy_of_the_same_day(alice: ApiUser) -> None:
    asset = alice.create_asset(name="Fund", type="fund")
    _ok(alice.trade(asset["id"], "buy", "10", "100", "2024-03-01T10:00:00+03:00"))

    sell = _ok(alice.trade(asset["id"], "sell", "10", "110", "2024-03-01"))

    assert (sell["transaction_date"], sell["trade_date"], sell["trade_time"]) == (
        "2024-03-01",
        "2024-03-01",
        None,
    )
    holding = _ok(alice.get(f"/api/assets/{asset['id']}"), 200)["holding"]
    assert (holding["quantity"], holding["realized_pnl"]) == ("0", "100")
    (sale,) = _ok(alice.get(f"/api/assets/{asset['id']}/realized"), 200)
    assert sale["realized_pnl"] == "100"
    assert (sale["trade_date"], sale["trade_time"]) == ("2024-03-01", None)
    (consumed,) = sale["consumed_lots"]
    assert consumed["transaction_date"] == "2024-03-01T10:00:00+03:00"
    assert consumed["trade_time"] == "10:00:00"


def test_a_date_only_trade_west_of_utc_is_booked_on_its_own_day(alice: ApiUser) -> None:
    _set_zone(alice, "America/New_York")
    asset = alice.create_asset(name="Fund", type="fund")
    _ok(alice.trade(asset["id"], "buy", "10", "100", "2024-03-01"))

    history = _ok(alice.get("/api/portfolio/history"), 200)

    assert history["from"] == "2024-03-01"
    first = history["points"][0]
    assert (first["date"], first["net_flow"], first["net_invested"]) == (
        "2024-03-01",
        "1000",
        "1000",
    )
    ranged = _ok(alice.get("/api/portfolio/history?from=2024-02-29&to=2024-03-01"), 200)
    assert [(p["date"], p["net_flow"]) for p in ranged["points"]] == [
        ("2024-02-29", "0"),
        ("2024-03-01", "1000"),
    ]


def test_a_timed_trade_takes_the_day_and_time_of_the_users_zone_and_keeps_them(
    alice: ApiUser,
) -> None:
    _set_zone(alice, "America/New_York")
    asset = alice.create_asset(name="Fund", type="fund")
    # 03:00 UTC on 1 March is 22:00 on 29 February in New York (EST, -05:00).
    created = _ok(alice.trade(asset["id"], "buy", "1", "10", "2024-03-01T03:00:00Z"))
    assert (created["transaction_date"], created["trade_date"], created["trade_time"]) == (
        "2024-02-29T22:00:00-05:00",
        "2024-02-29",
        "22:00:00",
    )

    # A later change of the user's zone never moves it.
    _set_zone(alice, "Pacific/Kiritimati")
    again = _ok(alice.get(f"/api/transactions/{created['id']}"), 200)
    assert {k: again[k] for k in ("transaction_date", "trade_date", "trade_time")} == {
        k: created[k] for k in ("transaction_date", "trade_date", "trade_time")
    }
    history = _ok(alice.get("/api/portfolio/history?from=2024-02-29&to=2024-03-01"), 200)
    assert [p["net_flow"] for p in history["points"]] == ["10", "0"]


def test_openapi_documents_the_date_fields_truthfully(client: Any) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    out = schemas["TransactionOut"]["properties"]
    assert {"transaction_date", "trade_date", "trade_time"} <= set(out)
    assert out["trade_date"]["format"] == "date"
    assert {"type": "null"} in out["trade_time"]["anyOf"]
    formats = {v.get("format") for v in out["transaction_date"]["anyOf"]}
    assert formats == {"date", "date-time"}
    given = schemas["TransactionCreate"]["properties"]["transaction_date"]
    assert "your today" in given["description"]


def _users_today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


# Far east and far west of UTC: the first is often a day ahead of UTC, the second behind.
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Istanbul"])
def test_not_in_the_future_means_after_the_users_today_everywhere(
    alice: ApiUser, zone: str
) -> None:
    _set_zone(alice, zone)
    asset = alice.create_asset(name="Fund", type="fund")
    today = _users_today(zone)
    tomorrow = (today + timedelta(days=1)).isoformat()

    refused = alice.trade(asset["id"], "buy", "1", "1", tomorrow)
    created = alice.trade(asset["id"], "buy", "1", "1", today.isoformat())
    if _users_today(zone) != today:
        pytest.skip("the user's day changed during the test")
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"] == ["body", "transaction_date"]
    assert today.isoformat() in refused.json()["detail"][0]["msg"]
    created_id = _ok(created)["id"]

    edit = alice.put(f"/api/transactions/{created_id}", json={"transaction_date": tomorrow})
    price = alice.post(
        "/api/prices/manual", json={"asset_id": asset["id"], "date": tomorrow, "price": "1"}
    )
    history = alice.get(f"/api/portfolio/history?to={tomorrow}")
    price_today = alice.post(
        "/api/prices/manual",
        json={"asset_id": asset["id"], "date": today.isoformat(), "price": "1"},
    )
    history_today = alice.get(f"/api/portfolio/history?to={today.isoformat()}")
    if _users_today(zone) != today:
        pytest.skip("the user's day changed during the test")
    assert (edit.status_code, edit.json()["detail"][0]["loc"]) == (
        422,
        ["body", "transaction_date"],
    )
    assert (price.status_code, price.json()["detail"][0]["loc"]) == (422, ["body", "date"])
    assert (history.status_code, history.json()["detail"][0]["loc"]) == (422, ["query", "to"])
    assert price_today.status_code in (200, 201), price_today.text
    assert history_today.status_code == 200, history_today.text
    assert history_today.json()["to"] == today.isoformat()


# --- 4. one order of trades, and edits that keep it ----------------------------------------


def test_a_move_keeps_entry_order_in_fifo_and_in_every_list(alice: ApiUser) -> None:
    x = alice.create_asset(name="X", type="fund")
    y = alice.create_asset(name="Y", type="fund")
    a = _ok(alice.trade(x["id"], "buy", "10", "10", "2024-01-01"))
    b = _ok(alice.trade(y["id"], "buy", "10", "12", "2024-01-01"))
    _ok(alice.put(f"/api/transactions/{a['id']}", json={"asset_id": y["id"]}), 200)
    sell = _ok(alice.trade(y["id"], "sell", "1", "15", "2024-01-02"))

    (sale,) = _ok(alice.get(f"/api/assets/{y['id']}/realized"), 200)
    assert sale["realized_pnl"] == "5"
    assert [c["transaction_id"] for c in sale["consumed_lots"]] == [a["id"]]
    expected = [a["id"], b["id"], sell["id"]]
    filtered = _ok(alice.get("/api/transactions", params={"assetId": y["id"]}), 200)
    assert [t["id"] for t in filtered] == expected
    assert [t["id"] for t in _ok(alice.get("/api/transactions"), 200)] == expected
    lots = _ok(alice.get(f"/api/assets/{y['id']}/lots"), 200)
    assert [lot["transaction_id"] for lot in lots] == [a["id"], b["id"]]


def test_an_edit_keeps_the_trades_place_among_equal_dates(alice: ApiUser) -> None:
    asset = alice.create_asset(name="Fund", type="fund")
    first = _ok(alice.trade(asset["id"], "buy", "1", "10", "2024-01-02"))
    second = _ok(alice.trade(asset["id"], "buy", "1", "20", "2024-01-01"))
    # Moving the first onto the second's day puts it before the second (entered earlier).
    _ok(alice.put(f"/api/transactions/{first['id']}", json={"transaction_date": "2024-01-01"}), 200)
    _ok(alice.put(f"/api/transactions/{first['id']}", json={"note": "edited"}), 200)
    listed = _ok(alice.get("/api/transactions"), 200)
    assert [t["id"] for t in listed] == [first["id"], second["id"]]
    lots = _ok(alice.get(f"/api/assets/{asset['id']}/lots"), 200)
    assert [lot["transaction_id"] for lot in lots] == [first["id"], second["id"]]


def test_timed_and_date_only_trades_of_one_day_interleave_as_documented(alice: ApiUser) -> None:
    asset = alice.create_asset(name="Fund", type="fund")
    when = ["2024-03-01", "2024-03-01T10:00:00+03:00", "2024-03-01T09:00:00+03:00", "2024-03-01"]
    ids = [_ok(alice.trade(asset["id"], "buy", "1", "1", w))["id"] for w in when]
    listed = [t["id"] for t in _ok(alice.get("/api/transactions"), 200)]
    # 09:00, 10:00, then the date-only ones in entry order (the README's example).
    assert listed == [ids[2], ids[1], ids[0], ids[3]]
    lots = _ok(alice.get(f"/api/assets/{asset['id']}/lots"), 200)
    assert [lot["transaction_id"] for lot in lots] == listed
