"""Open FIFO lots and per-sell realisations of an asset, with hand-computed figures."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from support import ApiUser


def _trade(
    user: ApiUser, asset_id: str, kind: str, qty: str, price: str, when: str, fee: str = "0"
) -> str:
    response = user.trade(asset_id, kind, qty, price, when, fee=fee)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _three_lots_two_sells(user: ApiUser) -> tuple[str, dict[str, str]]:
    """Lots A 4@10, B 6@20 (fee 1.2, so 20.2 a unit), C 5@30; sells of 5 and 3 leave B:2, C:5."""
    asset_id = str(user.create_asset(name="ACME", type="stock")["id"])
    ids = {
        "a": _trade(user, asset_id, "buy", "4", "10", "2024-01-02"),
        "b": _trade(user, asset_id, "buy", "6", "20", "2024-01-03", fee="1.2"),
        "c": _trade(user, asset_id, "buy", "5", "30", "2024-01-04"),
        # Takes all of A (40) and 1 of B (20.2): cost 60.2; proceeds 5*25 - 0.5 = 124.5.
        "s1": _trade(user, asset_id, "sell", "5", "25", "2024-02-01", fee="0.5"),
        # Takes 3 of B: cost 60.6; proceeds 3*18 = 54.
        "s2": _trade(user, asset_id, "sell", "3", "18", "2024-03-01"),
    }
    return asset_id, ids


def test_open_lots_after_partial_sells_across_several_lots(alice: ApiUser) -> None:
    asset_id, ids = _three_lots_two_sells(alice)

    response = alice.get(f"/api/assets/{asset_id}/lots")

    assert response.status_code == 200, response.text
    lots = response.json()
    assert [lot["transaction_id"] for lot in lots] == [ids["b"], ids["c"]]
    first, second = lots
    assert first["transaction_date"].startswith("2024-01-03")
    assert (first["original_quantity"], first["remaining_quantity"]) == ("6", "2")
    assert first["price_per_unit"] == "20"
    assert first["cost_per_unit"] == "20.2"
    assert first["remaining_cost"] == "40.4"
    assert second["transaction_date"].startswith("2024-01-04")
    assert (second["original_quantity"], second["remaining_quantity"]) == ("5", "5")
    assert second["price_per_unit"] == "30"
    assert second["remaining_cost"] == "150"


def test_holding_agrees_with_the_open_lots(alice: ApiUser) -> None:
    asset_id, _ = _three_lots_two_sells(alice)

    holding = alice.get(f"/api/assets/{asset_id}").json()["holding"]

    assert holding == {
        "quantity": "7",
        "cost_basis": "190.4",
        "average_cost": "27.2",
        "realized_pnl": "57.7",  # (124.5 - 60.2) + (54 - 60.6)
        "open_lots": 2,
    }


def test_realized_lists_each_sell_with_the_lots_it_consumed(alice: ApiUser) -> None:
    asset_id, ids = _three_lots_two_sells(alice)

    response = alice.get(f"/api/assets/{asset_id}/realized")

    assert response.status_code == 200, response.text
    first, second = response.json()

    def consumed(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(c["transaction_id"], c["quantity"], c["cost"]) for c in entry["consumed_lots"]]

    assert first["transaction_id"] == ids["s1"]
    assert first["transaction_date"].startswith("2024-02-01")
    assert (first["quantity"], first["proceeds"], first["cost"], first["realized_pnl"]) == (
        "5",
        "124.5",
        "60.2",
        "64.3",
    )
    assert consumed(first) == [(ids["a"], "4", "40"), (ids["b"], "1", "20.2")]
    assert first["consumed_lots"][0]["transaction_date"].startswith("2024-01-02")

    assert second["transaction_id"] == ids["s2"]
    assert (second["quantity"], second["proceeds"], second["cost"], second["realized_pnl"]) == (
        "3",
        "54",
        "60.6",
        "-6.6",
    )
    assert consumed(second) == [(ids["b"], "3", "60.6")]


def test_last_piece_of_a_lot_takes_all_its_remaining_cost(alice: ApiUser) -> None:
    asset_id = str(alice.create_asset()["id"])
    _trade(alice, asset_id, "buy", "3", "10", "2024-01-01", fee="1")  # cost 31
    _trade(alice, asset_id, "sell", "1", "10", "2024-01-02")
    _trade(alice, asset_id, "sell", "1", "10", "2024-01-03")
    _trade(alice, asset_id, "sell", "1", "10", "2024-01-04")

    realizations = alice.get(f"/api/assets/{asset_id}/realized").json()

    costs = [r["cost"] for r in realizations]
    assert costs[0] == costs[1] == "10.33333333"  # 31/3: money is shown to 8 places
    # Exactly 31 was consumed in total: nothing is lost to rounding.
    holding = alice.get(f"/api/assets/{asset_id}").json()["holding"]
    assert holding["realized_pnl"] == "-1"
    assert holding["quantity"] == "0"
    assert alice.get(f"/api/assets/{asset_id}/lots").json() == []


def test_lots_and_realized_of_an_asset_without_trades_are_empty(alice: ApiUser) -> None:
    asset_id = alice.create_asset()["id"]

    assert alice.get(f"/api/assets/{asset_id}/lots").json() == []
    assert alice.get(f"/api/assets/{asset_id}/realized").json() == []


def test_lots_follow_dates_not_entry_order(alice: ApiUser) -> None:
    asset_id = str(alice.create_asset()["id"])
    late = _trade(alice, asset_id, "buy", "2", "50", "2024-05-01")
    early = _trade(alice, asset_id, "buy", "2", "40", "2024-01-01")
    _trade(alice, asset_id, "sell", "1", "60", "2024-06-01")

    lots = alice.get(f"/api/assets/{asset_id}/lots").json()

    assert [(lot["transaction_id"], lot["remaining_quantity"]) for lot in lots] == [
        (early, "1"),
        (late, "2"),
    ]


def test_lots_and_realized_of_another_users_asset_are_404(alice: ApiUser, bob: ApiUser) -> None:
    asset_id = str(alice.create_asset()["id"])
    _trade(alice, asset_id, "buy", "1", "1", "2024-01-01")

    assert bob.get(f"/api/assets/{asset_id}/lots").status_code == 404
    assert bob.get(f"/api/assets/{asset_id}/realized").status_code == 404
    assert alice.get(f"/api/assets/{uuid.uuid4()}/lots").status_code == 404
    assert alice.get("/api/assets/not-a-uuid/realized").status_code == 422
