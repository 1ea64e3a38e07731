"""Transactions CRUD, ordering, filters and paging through the real app on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

CountRows = Callable[[], dict[str, int]]

if TYPE_CHECKING:
    from support import ApiUser


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_post_transaction_returns_201_with_decimals_as_strings(
    alice: ApiUser, count_rows: CountRows
) -> None:
    asset = alice.create_asset()

    body = _created(
        alice.post(
            "/api/transactions",
            json={
                "asset_id": asset["id"],
                "type": "buy",
                "quantity": "2.5",
                "price_per_unit": "1999.90",
                "transaction_date": "2024-03-01",
                "fee": "4.75",
                "note": "first gold",
            },
        )
    )

    uuid.UUID(body["id"])
    assert body["asset_id"] == asset["id"]
    assert body["type"] == "buy"
    assert body["quantity"] == "2.5"
    assert body["price_per_unit"] == "1999.9"
    assert body["fee"] == "4.75"
    assert body["note"] == "first gold"
    assert (body["transaction_date"], body["trade_date"], body["trade_time"]) == (
        "2024-03-01",
        "2024-03-01",
        None,
    )
    assert count_rows()["transactions"] == 1


def test_post_transaction_accepts_json_numbers(alice: ApiUser) -> None:
    asset = alice.create_asset()

    body = _created(
        alice.post(
            "/api/transactions",
            json={
                "asset_id": asset["id"],
                "type": "buy",
                "quantity": 3,
                "price_per_unit": 10.25,
                "transaction_date": "2024-03-01",
                "fee": 0,
            },
        )
    )

    assert (body["quantity"], body["price_per_unit"], body["fee"]) == ("3", "10.25", "0")
    assert isinstance(body["quantity"], str)


def test_post_transaction_defaults_fee_to_zero_and_note_to_null(alice: ApiUser) -> None:
    asset = alice.create_asset()

    body = _created(alice.trade(asset["id"], "buy", "1", "0", "2024-03-01"))

    assert body["fee"] == "0"
    assert body["note"] is None
    assert body["price_per_unit"] == "0"  # a gift: price zero is allowed


def test_a_date_time_is_placed_on_the_day_and_time_of_the_users_zone(alice: ApiUser) -> None:
    asset = alice.create_asset()

    # 02:30 at +01:00 is 01:30 UTC, 04:30 in Istanbul (the default zone).
    body = _created(alice.trade(asset["id"], "buy", "1", "1", "2024-03-01T02:30:00+01:00"))

    assert (body["transaction_date"], body["trade_date"], body["trade_time"]) == (
        "2024-03-01T04:30:00+03:00",
        "2024-03-01",
        "04:30:00",
    )


def test_post_transaction_for_another_users_asset_is_404_and_writes_nothing(
    alice: ApiUser, bob: ApiUser, count_rows: CountRows
) -> None:
    asset = alice.create_asset()
    before = count_rows()

    response = bob.trade(asset["id"], "buy", "1", "1", "2024-01-01")

    assert response.status_code == 404
    assert count_rows() == before


def test_post_transaction_for_a_missing_asset_is_404(alice: ApiUser, count_rows: CountRows) -> None:
    before = count_rows()

    assert alice.trade(str(uuid.uuid4()), "buy", "1", "1", "2024-01-01").status_code == 404
    assert count_rows() == before


def test_list_is_ordered_by_date_then_creation(alice: ApiUser) -> None:
    asset = alice.create_asset()
    later = _created(alice.trade(asset["id"], "buy", "1", "1", "2024-02-01"))
    same = [
        _created(alice.trade(asset["id"], "buy", str(n), "1", "2024-01-15")) for n in range(1, 6)
    ]
    earliest = _created(alice.trade(asset["id"], "buy", "1", "1", "2024-01-01"))

    response = alice.get("/api/transactions")

    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [
        earliest["id"],
        *[t["id"] for t in same],
        later["id"],
    ]


def test_equal_dates_keep_creation_order_across_assets(alice: ApiUser) -> None:
    gold = alice.create_asset(name="Gold")
    silver = alice.create_asset(name="Silver")
    created = []
    for asset in (gold, gold, silver, gold, silver, silver, gold):
        created.append(_created(alice.trade(asset["id"], "buy", "1", "1", "2024-01-15"))["id"])

    listed = [t["id"] for t in alice.get("/api/transactions").json()]

    assert listed == created


def test_list_filters_by_asset_with_assetId_or_asset_id(alice: ApiUser) -> None:
    gold = alice.create_asset(name="Gold")
    silver = alice.create_asset(name="Silver")
    g1 = _created(alice.trade(gold["id"], "buy", "1", "1", "2024-01-01"))["id"]
    s1 = _created(alice.trade(silver["id"], "buy", "1", "1", "2024-01-02"))["id"]
    g2 = _created(alice.trade(gold["id"], "buy", "1", "1", "2024-01-03"))["id"]

    camel = alice.get("/api/transactions", params={"assetId": gold["id"]})
    snake = alice.get("/api/transactions", params={"asset_id": silver["id"]})

    assert [t["id"] for t in camel.json()] == [g1, g2]
    assert camel.headers["X-Total-Count"] == "2"
    assert [t["id"] for t in snake.json()] == [s1]
    assert snake.headers["X-Total-Count"] == "1"


def test_list_of_an_asset_without_transactions_is_empty(alice: ApiUser) -> None:
    asset = alice.create_asset()

    response = alice.get("/api/transactions", params={"assetId": asset["id"]})

    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["X-Total-Count"] == "0"


def test_list_filtered_by_another_users_asset_is_404(alice: ApiUser, bob: ApiUser) -> None:
    asset = alice.create_asset()
    _created(alice.trade(asset["id"], "buy", "1", "1", "2024-01-01"))

    assert bob.get("/api/transactions", params={"assetId": asset["id"]}).status_code == 404
    assert bob.get("/api/transactions", params={"asset_id": asset["id"]}).status_code == 404
    assert alice.get("/api/transactions", params={"asset_id": str(uuid.uuid4())}).status_code == 404


def test_list_shows_only_my_transactions(alice: ApiUser, bob: ApiUser) -> None:
    mine = alice.create_asset()
    theirs = bob.create_asset()
    my_id = _created(alice.trade(mine["id"], "buy", "1", "1", "2024-01-01"))["id"]
    _created(bob.trade(theirs["id"], "buy", "1", "1", "2024-01-01"))

    response = alice.get("/api/transactions")

    assert [t["id"] for t in response.json()] == [my_id]
    assert response.headers["X-Total-Count"] == "1"


def test_limit_and_offset_page_through_the_list_with_the_total_count(alice: ApiUser) -> None:
    asset = alice.create_asset()
    ids = [
        _created(alice.trade(asset["id"], "buy", "1", "1", f"2024-01-{day:02d}"))["id"]
        for day in range(1, 8)
    ]

    pages = [
        alice.get("/api/transactions", params={"limit": 3, "offset": offset})
        for offset in (0, 3, 6, 9)
    ]

    assert [[t["id"] for t in page.json()] for page in pages] == [
        ids[0:3],
        ids[3:6],
        ids[6:7],
        [],
    ]
    assert {page.headers["X-Total-Count"] for page in pages} == {"7"}


def test_get_one_transaction(alice: ApiUser) -> None:
    asset = alice.create_asset()
    created = _created(alice.trade(asset["id"], "buy", "1.5", "7", "2024-01-01", fee="0.1"))

    response = alice.get(f"/api/transactions/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


def test_get_another_users_or_a_missing_transaction_is_404(alice: ApiUser, bob: ApiUser) -> None:
    asset = alice.create_asset()
    created = _created(alice.trade(asset["id"], "buy", "1", "1", "2024-01-01"))

    assert bob.get(f"/api/transactions/{created['id']}").status_code == 404
    assert alice.get(f"/api/transactions/{uuid.uuid4()}").status_code == 404


def test_put_changes_only_the_given_fields(alice: ApiUser) -> None:
    asset = alice.create_asset()
    created = _created(
        alice.trade(asset["id"], "buy", "2", "10", "2024-01-01", fee="1", note="keep me")
    )

    response = alice.put(f"/api/transactions/{created['id']}", json={"price_per_unit": 12.5})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["price_per_unit"] == "12.5"
    assert (body["quantity"], body["fee"], body["note"], body["type"]) == (
        "2",
        "1",
        "keep me",
        "buy",
    )
    assert body["transaction_date"] == created["transaction_date"]
    stored = alice.get(f"/api/transactions/{created['id']}").json()
    assert stored["price_per_unit"] == "12.5"
    holding = alice.get(f"/api/assets/{asset['id']}").json()["holding"]
    assert holding["cost_basis"] == "26"


def test_put_changes_date_quantity_fee_and_clears_the_note(alice: ApiUser) -> None:
    asset = alice.create_asset()
    created = _created(alice.trade(asset["id"], "buy", "2", "10", "2024-01-01", note="x"))

    response = alice.put(
        f"/api/transactions/{created['id']}",
        json={
            "transaction_date": "2024-02-02",
            "quantity": "3",
            "fee": "0.5",
            "note": None,
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["transaction_date"].startswith("2024-02-02")
    assert (body["quantity"], body["fee"], body["note"]) == ("3", "0.5", None)


def test_put_moves_a_transaction_to_another_of_my_assets(alice: ApiUser) -> None:
    gold = alice.create_asset(name="Gold")
    silver = alice.create_asset(name="Silver")
    created = _created(alice.trade(gold["id"], "buy", "2", "10", "2024-01-01"))

    response = alice.put(f"/api/transactions/{created['id']}", json={"asset_id": silver["id"]})

    assert response.status_code == 200, response.text
    assert response.json()["asset_id"] == silver["id"]
    assert alice.get(f"/api/assets/{gold['id']}").json()["holding"]["quantity"] == "0"
    assert alice.get(f"/api/assets/{silver['id']}").json()["holding"]["quantity"] == "2"
    listed = alice.get("/api/transactions", params={"assetId": silver["id"]}).json()
    assert [t["id"] for t in listed] == [created["id"]]


def test_put_moving_to_another_users_asset_is_404_and_changes_nothing(
    alice: ApiUser, bob: ApiUser
) -> None:
    mine = alice.create_asset()
    theirs = bob.create_asset()
    created = _created(alice.trade(mine["id"], "buy", "1", "1", "2024-01-01"))

    response = alice.put(f"/api/transactions/{created['id']}", json={"asset_id": theirs["id"]})

    assert response.status_code == 404
    assert alice.get(f"/api/transactions/{created['id']}").json() == created
    assert bob.get("/api/transactions").json() == []


def test_put_another_users_transaction_is_404(alice: ApiUser, bob: ApiUser) -> None:
    asset = alice.create_asset()
    created = _created(alice.trade(asset["id"], "buy", "1", "1", "2024-01-01"))

    response = bob.put(f"/api/transactions/{created['id']}", json={"note": "mine"})

    assert response.status_code == 404
    assert alice.get(f"/api/transactions/{created['id']}").json()["note"] is None


def test_delete_transaction_returns_204_and_removes_it(
    alice: ApiUser, count_rows: CountRows
) -> None:
    asset = alice.create_asset()
    created = _created(alice.trade(asset["id"], "buy", "1", "1", "2024-01-01"))
    kept = _created(alice.trade(asset["id"], "buy", "2", "1", "2024-01-02"))

    response = alice.delete(f"/api/transactions/{created['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert count_rows()["transactions"] == 1
    assert alice.get(f"/api/transactions/{created['id']}").status_code == 404
    assert [t["id"] for t in alice.get("/api/transactions").json()] == [kept["id"]]
    assert alice.delete(f"/api/transactions/{created['id']}").status_code == 404


def test_delete_another_users_transaction_is_404_and_deletes_nothing(
    alice: ApiUser, bob: ApiUser, count_rows: CountRows
) -> None:
    asset = alice.create_asset()
    created = _created(alice.trade(asset["id"], "buy", "1", "1", "2024-01-01"))
    before = count_rows()

    assert bob.delete(f"/api/transactions/{created['id']}").status_code == 404
    assert count_rows() == before
