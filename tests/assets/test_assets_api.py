"""Assets CRUD through the real app, on SQLite and PostgreSQL, with the FIFO holding."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

CountRows = Callable[[], dict[str, int]]

if TYPE_CHECKING:
    from support import ApiUser


def _buy(user: ApiUser, asset_id: str, qty: str, price: str, when: str, fee: str = "0") -> str:
    response = user.trade(asset_id, "buy", qty, price, when, fee=fee)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _sell(user: ApiUser, asset_id: str, qty: str, price: str, when: str, fee: str = "0") -> str:
    response = user.trade(asset_id, "sell", qty, price, when, fee=fee)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_create_asset_defaults_currency_to_try_uppercases_ticker_and_trims_name(
    alice: ApiUser, count_rows: CountRows
) -> None:
    response = alice.post(
        "/api/assets", json={"name": "  Apple Inc.  ", "type": "stock", "ticker_symbol": "aapl"}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Apple Inc."
    assert body["type"] == "stock"
    assert body["ticker_symbol"] == "AAPL"
    assert body["currency"] == "TRY"
    uuid.UUID(body["id"])
    assert count_rows()["assets"] == 1


def test_create_asset_uppercases_given_currency(alice: ApiUser) -> None:
    body = alice.create_asset(name="Bitcoin", type="crypto", currency="usd")

    assert body["currency"] == "USD"
    assert body["ticker_symbol"] is None


def test_list_assets_returns_only_mine_oldest_first(alice: ApiUser, bob: ApiUser) -> None:
    first = alice.create_asset(name="Gold")
    second = alice.create_asset(name="Silver")
    bob.create_asset(name="Bob's fund", type="fund")

    response = alice.get("/api/assets")

    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [first["id"], second["id"]]
    assert [a["name"] for a in bob.get("/api/assets").json()] == ["Bob's fund"]


def test_list_assets_is_empty_for_a_new_user(alice: ApiUser) -> None:
    response = alice.get("/api/assets")

    assert response.status_code == 200
    assert response.json() == []


def test_get_asset_without_transactions_has_an_empty_holding(alice: ApiUser) -> None:
    asset = alice.create_asset()

    response = alice.get(f"/api/assets/{asset['id']}")

    assert response.status_code == 200
    assert response.json()["holding"] == {
        "quantity": "0",
        "cost_basis": "0",
        "average_cost": None,
        "realized_pnl": "0",
        "open_lots": 0,
    }


def test_get_asset_holding_is_fifo_with_buy_fees_capitalised_and_sell_fees_deducted(
    alice: ApiUser,
) -> None:
    asset = alice.create_asset(name="ACME", type="stock", ticker_symbol="ACME")
    _buy(alice, asset["id"], "10", "100", "2024-01-10", fee="5")  # lot cost 1005
    _buy(alice, asset["id"], "5", "120", "2024-02-10", fee="3")  # lot cost 603, 120.6 a unit
    # 12 sold: all of lot 1 (1005) + 2 of lot 2 (241.2) = 1246.2; proceeds 1560 - 6 = 1554
    _sell(alice, asset["id"], "12", "130", "2024-03-10", fee="6")

    response = alice.get(f"/api/assets/{asset['id']}")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "ACME"
    assert body["holding"] == {
        "quantity": "3",
        "cost_basis": "361.8",
        "average_cost": "120.6",
        "realized_pnl": "307.8",
        "open_lots": 1,
    }


def test_holding_is_the_same_whatever_order_the_trades_were_entered_in(alice: ApiUser) -> None:
    asset = alice.create_asset()
    # Entered newest first: FIFO must follow the dates, not the entry order.
    _buy(alice, asset["id"], "5", "120", "2024-02-10", fee="3")
    _buy(alice, asset["id"], "10", "100", "2024-01-10", fee="5")
    _sell(alice, asset["id"], "12", "130", "2024-03-10", fee="6")

    holding = alice.get(f"/api/assets/{asset['id']}").json()["holding"]

    assert holding["cost_basis"] == "361.8"
    assert holding["realized_pnl"] == "307.8"


def test_average_cost_of_a_repeating_fraction_is_shown_to_18_places(alice: ApiUser) -> None:
    asset = alice.create_asset()
    _buy(alice, asset["id"], "3", "10", "2024-01-10", fee="1")  # 31 / 3

    holding = alice.get(f"/api/assets/{asset['id']}").json()["holding"]

    assert holding["quantity"] == "3"
    assert holding["cost_basis"] == "31"
    assert holding["average_cost"] == "10.333333333333333333"


def test_holding_after_selling_everything_has_no_average_cost(alice: ApiUser) -> None:
    asset = alice.create_asset()
    _buy(alice, asset["id"], "2", "50", "2024-01-10")
    _sell(alice, asset["id"], "2", "40", "2024-01-11", fee="1")

    holding = alice.get(f"/api/assets/{asset['id']}").json()["holding"]

    assert holding == {
        "quantity": "0",
        "cost_basis": "0",
        "average_cost": None,
        "realized_pnl": "-21",
        "open_lots": 0,
    }


def test_put_asset_changes_only_the_given_fields(alice: ApiUser) -> None:
    asset = alice.create_asset(name="Gold", type="metal", ticker_symbol="XAU", currency="USD")

    response = alice.put(f"/api/assets/{asset['id']}", json={"name": "  Gram gold "})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Gram gold"
    assert (body["type"], body["ticker_symbol"], body["currency"]) == ("metal", "XAU", "USD")
    again = alice.get(f"/api/assets/{asset['id']}").json()
    assert again["name"] == "Gram gold"
    assert again["currency"] == "USD"


def test_put_asset_changes_type_ticker_and_currency(alice: ApiUser) -> None:
    asset = alice.create_asset(name="Thing", type="metal")

    response = alice.put(
        f"/api/assets/{asset['id']}",
        json={"type": "fund", "ticker_symbol": "abc", "currency": "eur"},
    )

    assert response.status_code == 200, response.text
    body = alice.get(f"/api/assets/{asset['id']}").json()
    assert (body["name"], body["type"], body["ticker_symbol"], body["currency"]) == (
        "Thing",
        "fund",
        "ABC",
        "EUR",
    )


def test_put_asset_with_null_ticker_clears_it(alice: ApiUser) -> None:
    asset = alice.create_asset(ticker_symbol="XAU")

    response = alice.put(f"/api/assets/{asset['id']}", json={"ticker_symbol": None})

    assert response.status_code == 200, response.text
    assert alice.get(f"/api/assets/{asset['id']}").json()["ticker_symbol"] is None


@pytest.mark.parametrize("field", ["name", "type", "currency"])
def test_put_asset_with_null_required_field_is_422_and_changes_nothing(
    alice: ApiUser, engine: Engine, field: str
) -> None:
    asset = alice.create_asset(name="Gold", currency="USD")

    response = alice.put(f"/api/assets/{asset['id']}", json={field: None})

    assert response.status_code == 422, response.text
    assert any(err["loc"][-1] == field for err in response.json()["detail"])
    again = alice.get(f"/api/assets/{asset['id']}").json()
    assert (again["name"], again["type"], again["currency"]) == ("Gold", "metal", "USD")


def test_put_asset_keeps_its_holding(alice: ApiUser) -> None:
    asset = alice.create_asset()
    _buy(alice, asset["id"], "2", "50", "2024-01-10")

    alice.put(f"/api/assets/{asset['id']}", json={"name": "Renamed"})

    assert alice.get(f"/api/assets/{asset['id']}").json()["holding"]["quantity"] == "2"


def test_delete_asset_removes_it_and_its_transactions(
    alice: ApiUser, count_rows: CountRows
) -> None:
    kept = alice.create_asset(name="Kept")
    _buy(alice, kept["id"], "1", "1", "2024-01-01")
    doomed = alice.create_asset(name="Doomed")
    _buy(alice, doomed["id"], "5", "10", "2024-01-01")
    _buy(alice, doomed["id"], "5", "11", "2024-01-02")
    sell_id = _sell(alice, doomed["id"], "3", "12", "2024-01-03")
    before = count_rows()

    response = alice.delete(f"/api/assets/{doomed['id']}")

    assert response.status_code == 204
    assert response.content == b""
    after = count_rows()
    assert after["assets"] == before["assets"] - 1
    assert after["transactions"] == before["transactions"] - 3
    assert alice.get(f"/api/assets/{doomed['id']}").status_code == 404
    assert alice.get(f"/api/transactions/{sell_id}").status_code == 404
    assert [a["id"] for a in alice.get("/api/assets").json()] == [kept["id"]]
    assert len(alice.get("/api/transactions").json()) == 1


def test_delete_missing_asset_is_404_and_deletes_nothing(
    alice: ApiUser, count_rows: CountRows
) -> None:
    alice.create_asset()
    before = count_rows()

    response = alice.delete(f"/api/assets/{uuid.uuid4()}")

    assert response.status_code == 404
    assert count_rows() == before


def test_another_users_asset_cannot_be_read_changed_or_deleted(
    alice: ApiUser, bob: ApiUser, count_rows: CountRows
) -> None:
    asset = alice.create_asset(name="Alice's")
    before = count_rows()

    assert bob.get(f"/api/assets/{asset['id']}").status_code == 404
    assert bob.put(f"/api/assets/{asset['id']}", json={"name": "Bob's"}).status_code == 404
    assert bob.delete(f"/api/assets/{asset['id']}").status_code == 404

    assert count_rows() == before
    assert alice.get(f"/api/assets/{asset['id']}").json()["name"] == "Alice's"


def test_asset_routes_need_a_session(client: TestClient, alice: ApiUser) -> None:
    asset = alice.create_asset()
    anonymous = client

    assert anonymous.get("/api/assets").status_code == 401
    assert anonymous.get(f"/api/assets/{asset['id']}").status_code == 401
    assert anonymous.post("/api/assets", json={"name": "x", "type": "metal"}).status_code == 401
