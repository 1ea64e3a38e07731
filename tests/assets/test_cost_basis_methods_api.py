"""Cost-basis methods and `specific` allocations through the real app, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

CountRows = Callable[[], dict[str, int]]

if TYPE_CHECKING:
    from support import ApiUser


def _ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def _three_lots(user: ApiUser, method: str = "fifo") -> tuple[str, list[str]]:
    asset = user.create_asset(name="ACME", type="stock", currency="USD", cost_basis_method=method)
    ids = [
        _ok(user.trade(asset["id"], "buy", "10", "100", "2024-01-01", fee="5"))["id"],  # 100.5
        _ok(user.trade(asset["id"], "buy", "5", "120", "2024-01-02", fee="10"))["id"],  # 122
        _ok(user.trade(asset["id"], "buy", "5", "110", "2024-01-03"))["id"],  # 110
    ]
    return asset["id"], ids


def _holding(user: ApiUser, asset_id: str) -> dict[str, Any]:
    return _ok(user.get(f"/api/assets/{asset_id}"), 200)["holding"]  # type: ignore[no-any-return]


def test_the_method_defaults_to_fifo_and_is_returned(alice: ApiUser) -> None:
    asset = alice.create_asset(name="ACME", type="stock")
    assert asset["cost_basis_method"] == "fifo"
    listed = _ok(alice.get("/api/assets"), 200)
    assert [a["cost_basis_method"] for a in listed] == ["fifo"]


@pytest.mark.parametrize(
    ("method", "cost", "pnl", "lots"),
    [
        # 12 sold at 130 less a fee of 4: proceeds 1556
        ("fifo", "1249", "307", 2),  # 10 x 100.5 + 2 x 122
        ("lifo", "1361", "195", 1),  # 5 x 110 + 5 x 122 + 2 x 100.5
        ("hifo", "1361", "195", 1),  # 5 x 122 + 5 x 110 + 2 x 100.5
        ("average", "1299", "257", 2),  # 12 x (2165 / 20)
    ],
)
def test_each_method_gives_its_own_realised_pnl(
    alice: ApiUser, method: str, cost: str, pnl: str, lots: int
) -> None:
    asset_id, _ = _three_lots(alice, method)
    sell = _ok(alice.trade(asset_id, "sell", "12", "130", "2024-01-04", fee="4"))
    realized = _ok(alice.get(f"/api/assets/{asset_id}/realized"), 200)
    assert [(r["transaction_id"], r["cost"], r["realized_pnl"]) for r in realized] == [
        (sell["id"], cost, pnl)
    ]
    holding = _holding(alice, asset_id)
    assert (holding["quantity"], holding["realized_pnl"], holding["open_lots"]) == ("8", pnl, lots)
    summary = _ok(alice.get("/api/portfolio?currency=USD"), 200)
    assert summary["realized_pnl"] == pnl


def test_changing_the_method_recomputes_and_rewrites_no_transaction(alice: ApiUser) -> None:
    asset_id, _ = _three_lots(alice)
    _ok(alice.trade(asset_id, "sell", "12", "130", "2024-01-04", fee="4"))
    before = _ok(alice.get(f"/api/transactions?asset_id={asset_id}"), 200)
    assert _ok(alice.get("/api/portfolio?currency=USD"), 200)["realized_pnl"] == "307"
    updated = _ok(alice.put(f"/api/assets/{asset_id}", json={"cost_basis_method": "lifo"}), 200)
    assert updated["cost_basis_method"] == "lifo"
    assert _holding(alice, asset_id)["realized_pnl"] == "195"
    # The cached summary was made under the old method: the change invalidated it.
    assert _ok(alice.get("/api/portfolio?currency=USD"), 200)["realized_pnl"] == "195"
    assert _ok(alice.get(f"/api/transactions?asset_id={asset_id}"), 200) == before


def test_a_specific_sell_takes_the_lots_it_names(alice: ApiUser) -> None:
    asset_id, (b1, b2, b3) = _three_lots(alice, "specific")
    sell = _ok(
        alice.trade(
            asset_id,
            "sell",
            "12",
            "130",
            "2024-01-04",
            fee="4",
            allocations=[{"lot_id": b3, "quantity": "5"}, {"lot_id": b1, "quantity": "7"}],
        )
    )
    assert sell["allocations"] == [
        {"lot_id": b3, "quantity": "5"},
        {"lot_id": b1, "quantity": "7"},
    ]
    (realized,) = _ok(alice.get(f"/api/assets/{asset_id}/realized"), 200)
    assert [(c["transaction_id"], c["quantity"], c["cost"]) for c in realized["consumed_lots"]] == [
        (b3, "5", "550"),
        (b1, "7", "703.5"),
    ]
    lots = _ok(alice.get(f"/api/assets/{asset_id}/lots"), 200)
    assert [(lot["transaction_id"], lot["remaining_quantity"]) for lot in lots] == [
        (b1, "3"),
        (b2, "5"),
    ]
    assert (
        _ok(alice.get(f"/api/transactions/{sell['id']}"), 200)["allocations"] == sell["allocations"]
    )
    # A sell without allocations takes the oldest lots (FIFO).
    _ok(alice.trade(asset_id, "sell", "4", "130", "2024-01-05"))
    lots = _ok(alice.get(f"/api/assets/{asset_id}/lots"), 200)
    assert [(lot["transaction_id"], lot["remaining_quantity"]) for lot in lots] == [(b2, "4")]


def test_allocations_that_do_not_hold_are_refused_where_they_are(
    alice: ApiUser, bob: ApiUser, count_rows: CountRows
) -> None:
    asset_id, (b1, b2, _b3) = _three_lots(alice, "specific")
    other = alice.create_asset(name="Other", type="stock", cost_basis_method="specific")
    foreign_buy = _ok(alice.trade(other["id"], "buy", "50", "1", "2024-01-01"))["id"]
    bob_asset = bob.create_asset(name="Bob's", type="stock")
    bobs_buy = _ok(bob.trade(bob_asset["id"], "buy", "50", "1", "2024-01-01"))["id"]
    later = _ok(alice.trade(asset_id, "buy", "50", "1", "2024-02-01"))["id"]
    cases = [
        ([{"lot_id": b1, "quantity": "5"}], ["body", "allocations"]),  # adds up to 5, not 6
        ([{"lot_id": b2, "quantity": "6"}], ["body", "allocations", 0, "quantity"]),
        ([{"lot_id": foreign_buy, "quantity": "6"}], ["body", "allocations", 0, "lot_id"]),
        ([{"lot_id": bobs_buy, "quantity": "6"}], ["body", "allocations", 0, "lot_id"]),
        ([{"lot_id": later, "quantity": "6"}], ["body", "allocations", 0, "lot_id"]),
        ([{"lot_id": b1, "quantity": "0"}], ["body", "allocations", 0, "quantity"]),
    ]
    for allocations, loc in cases:
        before = count_rows()
        response = alice.trade(asset_id, "sell", "6", "1", "2024-01-10", allocations=allocations)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == loc, (allocations, response.text)
        assert count_rows() == before
    # A buy names no lots, and an asset under another method takes none.
    fifo = alice.create_asset(name="Plain", type="stock")
    plain_buy = _ok(alice.trade(fifo["id"], "buy", "5", "1", "2024-01-01"))["id"]
    for asset, kind in ((asset_id, "buy"), (fifo["id"], "sell")):
        response = alice.trade(
            asset,
            kind,
            "1",
            "1",
            "2024-01-10",
            allocations=[{"lot_id": plain_buy, "quantity": "1"}],
        )
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "allocations"]


def test_an_edit_or_delete_that_leaves_an_allocation_without_its_lot_is_refused(
    alice: ApiUser, count_rows: CountRows
) -> None:
    asset_id, (b1, b2, _b3) = _three_lots(alice, "specific")
    sell = _ok(
        alice.trade(
            asset_id,
            "sell",
            "5",
            "130",
            "2024-01-04",
            allocations=[{"lot_id": b2, "quantity": "5"}],
        )
    )
    before = count_rows()
    deleted = alice.delete(f"/api/transactions/{b2}")
    assert deleted.status_code == 422, deleted.text
    assert deleted.json()["detail"][0]["loc"] == ["path", "transaction_id"]
    assert sell["id"] in deleted.json()["detail"][0]["msg"]
    shrunk = alice.put(f"/api/transactions/{b2}", json={"quantity": "4"})
    assert shrunk.status_code == 422, shrunk.text
    assert shrunk.json()["detail"][0]["loc"] == ["body", "quantity"]
    moved = alice.put(f"/api/transactions/{b2}", json={"transaction_date": "2024-01-05"})
    assert moved.status_code == 422, moved.text
    assert moved.json()["detail"][0]["loc"] == ["body", "transaction_date"]
    assert count_rows() == before
    # Re-allocating the sell frees the lot; an edit can replace the allocations.
    edited = alice.put(
        f"/api/transactions/{sell['id']}", json={"allocations": [{"lot_id": b1, "quantity": "5"}]}
    )
    assert _ok(edited, 200)["allocations"] == [{"lot_id": b1, "quantity": "5"}]
    assert alice.delete(f"/api/transactions/{b2}").status_code == 204
    # Deleting the sell deletes its allocations.
    assert alice.delete(f"/api/transactions/{sell['id']}").status_code == 204
    assert count_rows()["sell_allocations"] == 0


def test_a_method_change_the_history_cannot_replay_is_refused(
    alice: ApiUser, count_rows: CountRows
) -> None:
    asset_id, (_b1, b2, _b3) = _three_lots(alice, "specific")
    _ok(
        alice.trade(
            asset_id,
            "sell",
            "5",
            "130",
            "2024-01-04",
            allocations=[{"lot_id": b2, "quantity": "5"}],
        )
    )
    _ok(alice.put(f"/api/assets/{asset_id}", json={"cost_basis_method": "fifo"}), 200)
    # Under fifo the stored allocations are not read; b2 can now shrink...
    _ok(alice.put(f"/api/transactions/{b2}", json={"quantity": "4"}), 200)
    before = count_rows()
    # ...and going back to `specific` would leave them unmet.
    response = alice.put(f"/api/assets/{asset_id}", json={"cost_basis_method": "specific"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "cost_basis_method"]
    assert count_rows() == before
    assert _ok(alice.get(f"/api/assets/{asset_id}"), 200)["cost_basis_method"] == "fifo"


def test_an_unknown_method_is_a_422(alice: ApiUser) -> None:
    response = alice.post(
        "/api/assets", json={"name": "X", "type": "stock", "cost_basis_method": "newest"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "cost_basis_method"]
    asset = alice.create_asset(name="Y", type="stock")
    response = alice.put(f"/api/assets/{asset['id']}", json={"cost_basis_method": None})
    assert response.status_code == 422


def test_the_portfolio_and_the_report_follow_a_specific_sells_allocations(alice: ApiUser) -> None:
    """The figures of the asset, of /api/portfolio and of the realised report agree: each
    reads the allocations (on SQLite a UUID's text in SQL has no hyphens: ids must match)."""
    _ok(alice.put("/api/settings", json={"base_currency": "USD"}), 200)
    asset_id, (_b1, b2, _b3) = _three_lots(alice, "specific")
    _ok(
        alice.trade(
            asset_id,
            "sell",
            "5",
            "130",
            "2024-01-04",
            allocations=[{"lot_id": b2, "quantity": "5"}],
        )
    )
    # 5 x 130 = 650 proceeds; the second lot cost 5 x 120 + 10 = 610.
    assert _holding(alice, asset_id)["realized_pnl"] == "40"
    holdings = _ok(alice.get("/api/portfolio"), 200)["holdings"]
    assert [(h["realized_pnl"], h["cost_basis"]) for h in holdings] == [("40", "1555")]
    report = _ok(alice.get("/api/reports/realized?year=2024&currency=USD"), 200)
    assert report["totals"] == {"proceeds": "650", "cost": "610", "gain": "40"}


def test_an_explicit_null_for_allocations_is_refused_like_any_other(alice: ApiUser) -> None:
    asset_id, (b1, _b2, _b3) = _three_lots(alice, "specific")
    sell = _ok(
        alice.trade(
            asset_id,
            "sell",
            "2",
            "130",
            "2024-01-04",
            allocations=[{"lot_id": b1, "quantity": "2"}],
        )
    )
    answer = alice.put(f"/api/transactions/{sell['id']}", json={"allocations": None})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "allocations"]
    kept = _ok(alice.get(f"/api/transactions/{sell['id']}"), 200)["allocations"]
    assert kept == [{"lot_id": b1, "quantity": "2"}]
