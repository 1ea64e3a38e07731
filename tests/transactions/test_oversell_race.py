"""Two requests that together would oversell must not both succeed, on either database.

Each request runs in its own thread with its own client, released together by a barrier.
The history check is slowed down a little so that, without the asset lock, both requests
would read the same history before either writes: the test then fails every time rather
than by luck. With the lock the second request waits and sees the first one's rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio_tracker.assets.ledger import Basis
from portfolio_tracker.engine.lots import Trade

CountRows = Callable[[], dict[str, int]]

if TYPE_CHECKING:
    from support import ApiUser

ROUNDS = 3
HISTORY_CHECK_DELAY = 0.05

Request = Callable[[TestClient], Any]


@pytest.fixture(autouse=True)
def slow_history_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every write checks the history through the asset's Basis (method, actions).
    check = Basis.check

    def slowed(self: Basis, trades: list[Trade]) -> None:
        time.sleep(HISTORY_CHECK_DELAY)
        check(self, trades)

    monkeypatch.setattr(Basis, "check", slowed)


@pytest.fixture
def racing_clients(app: FastAPI, alice: ApiUser) -> Iterator[tuple[TestClient, TestClient]]:
    """Two more clients of the same user, so each thread has its own connection state."""
    first = TestClient(app, headers=alice.headers)
    second = TestClient(app, headers=alice.headers)
    yield first, second
    first.close()
    second.close()


def _race(clients: tuple[TestClient, TestClient], requests: tuple[Request, Request]) -> list[Any]:
    barrier = threading.Barrier(2)
    responses: list[Any] = [None, None]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[index] = requests[index](clients[index])
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert all(not thread.is_alive() for thread in threads)
    return responses


def _sell(asset_id: str, quantity: str, when: str = "2024-02-01") -> Request:
    body = {
        "asset_id": asset_id,
        "type": "sell",
        "quantity": quantity,
        "price_per_unit": "1",
        "transaction_date": when,
    }
    return lambda client: client.post("/api/transactions", json=body)


def _one_won_one_oversold(responses: list[Any], winner_status: int) -> None:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == sorted([winner_status, 422]), [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 422)
    assert loser.json()["detail"][0]["type"] == "oversell", loser.text


def _holding(user: ApiUser, asset_id: str) -> str:
    quantity: str = user.get(f"/api/assets/{asset_id}").json()["holding"]["quantity"]
    return quantity


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_concurrent_sells_that_together_oversell_exactly_one_succeeds(
    alice: ApiUser,
    count_rows: CountRows,
    racing_clients: tuple[TestClient, TestClient],
    round_: int,
) -> None:
    asset_id = str(alice.create_asset()["id"])
    assert alice.trade(asset_id, "buy", "10", "1", "2024-01-01").status_code == 201

    responses = _race(racing_clients, (_sell(asset_id, "6"), _sell(asset_id, "6")))

    _one_won_one_oversold(responses, 201)
    assert _holding(alice, asset_id) == "4"
    assert count_rows()["transactions"] == 2


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_deleting_a_buy_races_a_sell_that_needs_it_exactly_one_succeeds(
    alice: ApiUser,
    count_rows: CountRows,
    racing_clients: tuple[TestClient, TestClient],
    round_: int,
) -> None:
    asset_id = str(alice.create_asset()["id"])
    first_buy = alice.trade(asset_id, "buy", "10", "1", "2024-01-01").json()["id"]
    assert alice.trade(asset_id, "buy", "5", "1", "2024-01-02").status_code == 201

    def delete_buy(client: TestClient) -> Any:
        return client.delete(f"/api/transactions/{first_buy}")

    responses = _race(racing_clients, (delete_buy, _sell(asset_id, "6")))

    deleted, sold = responses
    assert sorted([deleted.status_code, sold.status_code]) in ([201, 422], [204, 422]), (
        deleted.text,
        sold.text,
    )
    if deleted.status_code == 204:
        assert _holding(alice, asset_id) == "5"
        assert count_rows()["transactions"] == 1
    else:
        assert _holding(alice, asset_id) == "9"
        assert count_rows()["transactions"] == 3


def test_editing_a_buy_down_races_a_sell_exactly_one_succeeds(
    alice: ApiUser, racing_clients: tuple[TestClient, TestClient]
) -> None:
    asset_id = str(alice.create_asset()["id"])
    buy = alice.trade(asset_id, "buy", "10", "1", "2024-01-01").json()["id"]

    def edit_down(client: TestClient) -> Any:
        return client.put(f"/api/transactions/{buy}", json={"quantity": "5"})

    edited, sold = _race(racing_clients, (edit_down, _sell(asset_id, "6")))

    assert sorted([edited.status_code, sold.status_code]) in ([200, 422], [201, 422]), (
        edited.text,
        sold.text,
    )
    assert _holding(alice, asset_id) == ("5" if edited.status_code == 200 else "4")


def test_moves_in_opposite_directions_between_two_assets_do_not_deadlock(
    alice: ApiUser, racing_clients: tuple[TestClient, TestClient]
) -> None:
    gold = str(alice.create_asset(name="Gold")["id"])
    silver = str(alice.create_asset(name="Silver")["id"])
    in_gold = alice.trade(gold, "buy", "1", "1", "2024-01-01").json()["id"]
    in_silver = alice.trade(silver, "buy", "2", "1", "2024-01-01").json()["id"]

    def move(transaction_id: str, target: str) -> Request:
        return lambda client: client.put(
            f"/api/transactions/{transaction_id}", json={"asset_id": target}
        )

    started = time.monotonic()
    responses = _race(racing_clients, (move(in_gold, silver), move(in_silver, gold)))

    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert time.monotonic() - started < 10
    assert _holding(alice, gold) == "2"
    assert _holding(alice, silver) == "1"
