"""POST/GET/DELETE /api/prices/manual: replace on the same day, validation, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine

from support import row_counts, user_version

if TYPE_CHECKING:
    from support import ApiUser


def test_it_records_a_price_in_the_assets_currency_by_default(alice: ApiUser) -> None:
    asset = alice.create_asset(name="Apple", type="stock", currency="USD")
    response = alice.post(
        "/api/prices/manual", json={"asset_id": asset["id"], "date": "2024-03-01", "price": 180.5}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["asset_id"] == asset["id"]
    assert (body["date"], body["price"], body["currency"]) == ("2024-03-01", "180.5", "USD")


def test_the_same_asset_and_day_replaces_the_price(alice: ApiUser, engine: Engine) -> None:
    asset = alice.create_asset()
    first = alice.post(
        "/api/prices/manual", json={"asset_id": asset["id"], "date": "2024-03-01", "price": "1"}
    )
    again = alice.post(
        "/api/prices/manual",
        json={"asset_id": asset["id"], "date": "2024-03-01", "price": "2", "currency": "usd"},
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    listed = alice.get(f"/api/prices/manual?assetId={asset['id']}").json()
    assert [(p["date"], p["price"], p["currency"]) for p in listed] == [("2024-03-01", "2", "USD")]
    assert row_counts(engine)["manual_prices"] == 1


def test_it_lists_by_asset_with_either_spelling(alice: ApiUser) -> None:
    gold = alice.create_asset()
    fund = alice.create_asset(name="YAC", type="fund")
    for asset, day in ((gold, "2024-01-02"), (gold, "2024-01-01"), (fund, "2024-01-01")):
        alice.post("/api/prices/manual", json={"asset_id": asset["id"], "date": day, "price": 1})
    assert [p["date"] for p in alice.get(f"/api/prices/manual?asset_id={gold['id']}").json()] == [
        "2024-01-01",
        "2024-01-02",
    ]
    assert len(alice.get("/api/prices/manual").json()) == 3


def test_delete_removes_it_and_bumps_the_version(alice: ApiUser, engine: Engine) -> None:
    asset = alice.create_asset()
    price = alice.post(
        "/api/prices/manual", json={"asset_id": asset["id"], "date": "2024-01-01", "price": 1}
    ).json()
    before = user_version(engine, alice.id)
    assert alice.delete(f"/api/prices/manual/{price['id']}").status_code == 204
    assert user_version(engine, alice.id) > before
    assert alice.delete(f"/api/prices/manual/{price['id']}").status_code == 404
    assert alice.get("/api/prices/manual").json() == []


def test_another_users_asset_and_price_are_404(
    alice: ApiUser, bob: ApiUser, engine: Engine
) -> None:
    asset = alice.create_asset()
    price = alice.post(
        "/api/prices/manual", json={"asset_id": asset["id"], "date": "2024-01-01", "price": 1}
    ).json()
    before = row_counts(engine)
    body = {"asset_id": asset["id"], "date": "2024-01-01", "price": 9}
    assert bob.post("/api/prices/manual", json=body).status_code == 404
    assert bob.get(f"/api/prices/manual?assetId={asset['id']}").status_code == 404
    assert bob.delete(f"/api/prices/manual/{price['id']}").status_code == 404
    assert bob.get("/api/prices/manual").json() == []
    assert row_counts(engine) == before
    assert alice.get("/api/prices/manual").json()[0]["price"] == "1"


TOMORROW = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date": TOMORROW}, "date"),
        ({"date": "1899-12-31"}, "date"),
        ({"date": "2024-02-30"}, "date"),
        ({"date": 1700000000}, "date"),
        ({"date": "2024-01-01T10:00:00"}, "date"),
        ({"price": "-1"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"price": "1e20"}, "price"),
        ({"price": "0.1234567890123456789"}, "price"),
        ({"currency": "EURO"}, "currency"),
        ({"asset_id": "nope"}, "asset_id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    alice: ApiUser, engine: Engine, change: dict[str, object], field: str
) -> None:
    asset = alice.create_asset()
    before = row_counts(engine), user_version(engine, alice.id)
    body = {"asset_id": asset["id"], "date": "2024-01-01", "price": "1", **change}
    response = alice.post("/api/prices/manual", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field
    assert (row_counts(engine), user_version(engine, alice.id)) == before


def test_a_zero_price_is_allowed(alice: ApiUser) -> None:
    asset = alice.create_asset()
    response = alice.post(
        "/api/prices/manual", json={"asset_id": asset["id"], "date": "2024-01-01", "price": "0"}
    )
    assert response.status_code == 201
