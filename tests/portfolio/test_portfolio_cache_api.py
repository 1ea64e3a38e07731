"""Cached figures never outlive a write: after each kind of write the next GET reflects it,
also when the write went through another app instance on the same database (each with its
own in-process cache, or both sharing Redis)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from portfolio_seed import Store, store_fixture  # noqa: F401  (the `store` fixture)
from sqlalchemy import Engine

from portfolio_tracker.app import create_app
from support import make_settings

if TYPE_CHECKING:
    from support import ApiUser


class Instance:
    """One app process as seen by alice (her bearer token works on any instance)."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, url: str) -> Any:
        response = self.client.get(url, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def send(self, method: str, url: str, body: Any = None) -> Any:
        response = self.client.request(method, url, json=body, headers=self.headers)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None


@pytest.fixture(params=["memory", "redis"])
def instances(
    request: pytest.FixtureRequest, engine: Engine, make_user: Callable[..., ApiUser]
) -> Iterator[tuple[Instance, Instance]]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    settings = make_settings(engine, redis_url=redis_url)
    user = make_user()
    with (
        TestClient(create_app(settings, engine)) as one,
        TestClient(create_app(settings, engine)) as two,
    ):
        yield Instance(one, user.token), Instance(two, user.token)


def _value(body: dict[str, Any]) -> str:
    return str(body["total_market_value"])


def test_every_kind_of_write_is_seen_by_both_instances(
    instances: tuple[Instance, Instance], store: Store
) -> None:
    one, two = instances
    fund = one.send("POST", "/api/assets", {"name": "Fund", "type": "fund", "ticker_symbol": "YAC"})
    store.prices("YAC", "tefas", "TRY", [("2024-06-27", "2")])

    def warm_then_write(method: str, url: str, body: Any = None) -> tuple[Any, Any]:
        # Both instances cache the current figures, then instance one writes.
        one.get("/api/portfolio"), two.get("/api/portfolio")
        one.get("/api/portfolio/history?from=2024-06-01&to=2024-06-30")
        two.get("/api/portfolio/history?from=2024-06-01&to=2024-06-30")
        result = one.send(method, url, body) if method else None
        return result, two.get("/api/portfolio")

    tx, after = warm_then_write(
        "POST",
        "/api/transactions",
        {
            "asset_id": fund["id"],
            "type": "buy",
            "quantity": "10",
            "price_per_unit": "1",
            "transaction_date": "2024-06-01",
        },
    )
    assert _value(after) == "20"
    history = two.get("/api/portfolio/history?from=2024-06-01&to=2024-06-30")
    assert history["points"][-1]["market_value"] == "20"

    _, after = warm_then_write("PUT", f"/api/transactions/{tx['id']}", {"quantity": "5"})
    assert _value(after) == "10"

    price, after = warm_then_write(
        "POST", "/api/prices/manual", {"asset_id": fund["id"], "date": "2024-06-28", "price": "3"}
    )
    assert _value(after) == "15"

    _, after = warm_then_write("DELETE", f"/api/prices/manual/{price['id']}")
    assert _value(after) == "10"

    _, after = warm_then_write("PUT", f"/api/assets/{fund['id']}", {"name": "Renamed"})
    assert after["holdings"][0]["name"] == "Renamed"

    _, after = warm_then_write("PUT", "/api/settings", {"base_currency": "USD"})
    assert (after["base_currency"], after["holdings"][0]["unpriced_reason"]) == ("USD", "no_rate")

    warm_then_write("", "")
    store.rates("USD", "TRY", [("2024-01-01", "40")])  # another process's feed refresh
    assert _value(two.get("/api/portfolio")) == "0.25"

    warm_then_write("", "")
    store.prices("YAC", "tefas", "TRY", [("2024-06-28", "4")])
    assert _value(two.get("/api/portfolio")) == "0.5"

    _, after = warm_then_write("DELETE", f"/api/transactions/{tx['id']}")
    assert (_value(after), after["holdings"][0]["quantity"]) == ("0", "0")

    _, after = warm_then_write("DELETE", f"/api/assets/{fund['id']}")
    assert after["holdings"] == []


def test_a_warm_answer_is_served_from_the_cache(
    instances: tuple[Instance, Instance], store: Store, engine: Engine
) -> None:
    one, _ = instances
    fund = one.send("POST", "/api/assets", {"name": "Fund", "type": "fund", "ticker_symbol": "YAC"})
    one.send(
        "POST",
        "/api/transactions",
        {
            "asset_id": fund["id"],
            "type": "buy",
            "quantity": "10",
            "price_per_unit": "1",
            "transaction_date": "2024-06-01",
        },
    )
    store.prices("YAC", "tefas", "TRY", [("2024-06-27", "2")])
    first = one.get("/api/portfolio")
    # A change made behind the app's back (no version bump) is not seen: proof of a hit.
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE price_history SET close = '9'")
    assert one.get("/api/portfolio") == first
