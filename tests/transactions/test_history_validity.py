"""A write is accepted only if the asset's history, replayed in date order, never oversells.

A refused write answers 422 naming the sell's date and the shortfall, and leaves every row
exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

CountRows = Callable[[], dict[str, int]]

if TYPE_CHECKING:
    from support import ApiUser


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _oversell_message(response: Any) -> str:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    assert detail[0]["type"] == "oversell"
    message: str = detail[0]["msg"]
    return message


def _snapshot(user: ApiUser, count_rows: CountRows) -> tuple[dict[str, int], Any]:
    return count_rows(), user.get("/api/transactions").json()


def _holding(user: ApiUser, asset_id: str) -> dict[str, Any]:
    holding: dict[str, Any] = user.get(f"/api/assets/{asset_id}").json()["holding"]
    return holding


def test_sell_exceeding_holdings_is_422_naming_date_and_shortfall_and_writes_nothing(
    alice: ApiUser, count_rows: CountRows
) -> None:
    asset = alice.create_asset()
    _created(alice.trade(asset["id"], "buy", "7.5", "10", "2024-01-01"))
    before = _snapshot(alice, count_rows)

    response = alice.trade(asset["id"], "sell", "10", "12", "2024-03-01")

    message = _oversell_message(response)
    assert "2024-03-01" in message
    assert "2.5" in message
    assert response.json()["detail"][0]["loc"][-1] == "quantity"
    assert _snapshot(alice, count_rows) == before
    assert _holding(alice, asset["id"])["quantity"] == "7.5"


def test_selling_exactly_the_holding_is_accepted(alice: ApiUser) -> None:
    asset = alice.create_asset()
    _created(alice.trade(asset["id"], "buy", "7.5", "10", "2024-01-01"))

    _created(alice.trade(asset["id"], "sell", "7.5", "12", "2024-03-01"))

    assert _holding(alice, asset["id"])["quantity"] == "0"


def test_sell_with_nothing_held_is_422(alice: ApiUser, count_rows: CountRows) -> None:
    asset = alice.create_asset()
    before = count_rows()

    message = _oversell_message(alice.trade(asset["id"], "sell", "1", "1", "2024-01-01"))

    assert "2024-01-01" in message
    assert count_rows() == before


def test_backdated_sell_before_the_buy_is_422(alice: ApiUser, count_rows: CountRows) -> None:
    asset = alice.create_asset()
    _created(alice.trade(asset["id"], "buy", "10", "10", "2024-02-01"))
    before = _snapshot(alice, count_rows)

    message = _oversell_message(alice.trade(asset["id"], "sell", "4", "10", "2024-01-15"))

    assert "2024-01-15" in message
    assert "4" in message
    assert _snapshot(alice, count_rows) == before


def test_backdated_sell_that_a_later_sell_would_push_over_is_422(
    alice: ApiUser, count_rows: CountRows
) -> None:
    asset = alice.create_asset()
    _created(alice.trade(asset["id"], "buy", "10", "10", "2024-01-01"))
    _created(alice.trade(asset["id"], "sell", "8", "10", "2024-03-01"))
    before = _snapshot(alice, count_rows)

    # Valid at its own date (10 held), but the later sell of 8 then exceeds by 3.
    message = _oversell_message(alice.trade(asset["id"], "sell", "5", "10", "2024-02-01"))

    assert "2024-03-01" in message
    assert "by 3" in message
    assert _snapshot(alice, count_rows) == before


def test_sell_on_the_same_date_as_the_buy_entered_after_it_is_accepted(alice: ApiUser) -> None:
    asset = alice.create_asset()
    _created(alice.trade(asset["id"], "buy", "1", "10", "2024-01-01"))

    _created(alice.trade(asset["id"], "sell", "1", "11", "2024-01-01"))


def test_sell_on_the_same_date_entered_before_its_buy_is_422(alice: ApiUser) -> None:
    asset = alice.create_asset()
    _created(alice.trade(asset["id"], "buy", "1", "10", "2024-01-01"))
    _created(alice.trade(asset["id"], "sell", "1", "11", "2024-01-01"))

    # A second sell the same day comes after the first in creation order: nothing is left.
    _oversell_message(alice.trade(asset["id"], "sell", "1", "11", "2024-01-01"))


def _buy_then_sell(user: ApiUser) -> tuple[str, dict[str, Any], dict[str, Any]]:
    asset = user.create_asset()
    buy = _created(user.trade(asset["id"], "buy", "10", "10", "2024-01-01"))
    sell = _created(user.trade(asset["id"], "sell", "6", "12", "2024-03-01"))
    return str(asset["id"]), buy, sell


def _assert_refused_unchanged(
    user: ApiUser,
    count_rows: CountRows,
    response: Any,
    buy: dict[str, Any],
    before: tuple[dict[str, int], Any],
) -> str:
    message = _oversell_message(response)
    assert user.get(f"/api/transactions/{buy['id']}").json() == buy
    assert _snapshot(user, count_rows) == before
    return message


def test_editing_a_buy_down_below_a_later_sell_is_422_and_the_row_is_unchanged(
    alice: ApiUser, count_rows: CountRows
) -> None:
    asset_id, buy, _ = _buy_then_sell(alice)
    before = _snapshot(alice, count_rows)

    response = alice.put(f"/api/transactions/{buy['id']}", json={"quantity": "5"})

    message = _assert_refused_unchanged(alice, count_rows, response, buy, before)
    assert "2024-03-01" in message
    assert "by 1" in message
    assert _holding(alice, asset_id)["quantity"] == "4"


def test_editing_a_buy_down_to_what_the_sells_need_is_accepted(alice: ApiUser) -> None:
    asset_id, buy, _ = _buy_then_sell(alice)

    response = alice.put(f"/api/transactions/{buy['id']}", json={"quantity": "6"})

    assert response.status_code == 200, response.text
    assert response.json()["quantity"] == "6"
    assert _holding(alice, asset_id)["quantity"] == "0"


def test_deleting_a_buy_that_a_later_sell_needs_is_422_and_nothing_is_deleted(
    alice: ApiUser, count_rows: CountRows
) -> None:
    _, buy, _ = _buy_then_sell(alice)
    before = _snapshot(alice, count_rows)

    response = alice.delete(f"/api/transactions/{buy['id']}")

    message = _assert_refused_unchanged(alice, count_rows, response, buy, before)
    assert "2024-03-01" in message
    assert "by 6" in message


def test_deleting_a_buy_when_another_buy_still_covers_the_sells_is_accepted(
    alice: ApiUser,
) -> None:
    asset_id, buy, _ = _buy_then_sell(alice)
    _created(alice.trade(asset_id, "buy", "6", "11", "2024-02-01"))

    assert alice.delete(f"/api/transactions/{buy['id']}").status_code == 204
    assert _holding(alice, asset_id)["quantity"] == "0"


def test_deleting_a_sell_is_always_accepted(alice: ApiUser) -> None:
    asset_id, _, sell = _buy_then_sell(alice)

    assert alice.delete(f"/api/transactions/{sell['id']}").status_code == 204
    assert _holding(alice, asset_id)["quantity"] == "10"


def test_moving_a_buy_after_the_sell_is_422_and_the_row_is_unchanged(
    alice: ApiUser, count_rows: CountRows
) -> None:
    _, buy, _ = _buy_then_sell(alice)
    before = _snapshot(alice, count_rows)

    response = alice.put(f"/api/transactions/{buy['id']}", json={"transaction_date": "2024-04-01"})

    message = _assert_refused_unchanged(alice, count_rows, response, buy, before)
    assert "2024-03-01" in message


def test_moving_a_buy_to_a_date_still_before_the_sell_is_accepted(alice: ApiUser) -> None:
    _, buy, _ = _buy_then_sell(alice)

    response = alice.put(f"/api/transactions/{buy['id']}", json={"transaction_date": "2024-02-28"})

    assert response.status_code == 200, response.text
    assert response.json()["transaction_date"].startswith("2024-02-28")


def test_moving_a_sell_before_the_buy_is_422(alice: ApiUser, count_rows: CountRows) -> None:
    _, _, sell = _buy_then_sell(alice)
    before = _snapshot(alice, count_rows)

    response = alice.put(f"/api/transactions/{sell['id']}", json={"transaction_date": "2023-12-31"})

    message = _oversell_message(response)
    assert "2023-12-31" in message
    assert _snapshot(alice, count_rows) == before


def test_turning_a_buy_into_a_sell_that_oversells_is_422(
    alice: ApiUser, count_rows: CountRows
) -> None:
    _, buy, _ = _buy_then_sell(alice)
    before = _snapshot(alice, count_rows)

    response = alice.put(f"/api/transactions/{buy['id']}", json={"type": "sell"})

    _assert_refused_unchanged(alice, count_rows, response, buy, before)


def test_raising_a_sell_above_the_holding_is_422(alice: ApiUser, count_rows: CountRows) -> None:
    _, _, sell = _buy_then_sell(alice)
    before = _snapshot(alice, count_rows)

    response = alice.put(f"/api/transactions/{sell['id']}", json={"quantity": "10.000001"})

    message = _oversell_message(response)
    assert "by 0.000001" in message
    assert _snapshot(alice, count_rows) == before


def test_moving_a_buy_to_another_asset_so_a_sell_would_oversell_is_422(
    alice: ApiUser, count_rows: CountRows
) -> None:
    _, buy, _ = _buy_then_sell(alice)
    other = alice.create_asset(name="Other")
    before = _snapshot(alice, count_rows)

    response = alice.put(f"/api/transactions/{buy['id']}", json={"asset_id": other["id"]})

    _assert_refused_unchanged(alice, count_rows, response, buy, before)
    assert _holding(alice, str(other["id"]))["quantity"] == "0"


def test_moving_a_sell_to_an_asset_that_does_not_hold_enough_is_422(
    alice: ApiUser, count_rows: CountRows
) -> None:
    _, _, sell = _buy_then_sell(alice)
    other = alice.create_asset(name="Other")
    _created(alice.trade(other["id"], "buy", "5", "1", "2024-01-01"))
    before = _snapshot(alice, count_rows)

    response = alice.put(f"/api/transactions/{sell['id']}", json={"asset_id": other["id"]})

    message = _oversell_message(response)
    assert "by 1" in message
    assert _snapshot(alice, count_rows) == before


def test_moving_a_buy_to_another_asset_when_the_rest_still_covers_the_sell_is_accepted(
    alice: ApiUser,
) -> None:
    asset_id, buy, _ = _buy_then_sell(alice)
    _created(alice.trade(asset_id, "buy", "6", "9", "2024-02-01"))
    other = alice.create_asset(name="Other")

    response = alice.put(f"/api/transactions/{buy['id']}", json={"asset_id": other["id"]})

    assert response.status_code == 200, response.text
    assert _holding(alice, asset_id)["quantity"] == "0"
    assert _holding(alice, str(other["id"]))["quantity"] == "10"


def test_same_date_trades_after_a_refused_edit_keep_creation_order(alice: ApiUser) -> None:
    asset_id, buy, _ = _buy_then_sell(alice)
    alice.put(f"/api/transactions/{buy['id']}", json={"quantity": "1"})
    # Two same-date trades still land in creation order after the refusal.
    first = _created(alice.trade(asset_id, "buy", "1", "1", "2024-05-01"))
    second = _created(alice.trade(asset_id, "sell", "5", "1", "2024-05-01"))

    listed = alice.get("/api/transactions", params={"assetId": asset_id}).json()
    assert [t["id"] for t in listed][-2:] == [first["id"], second["id"]]
