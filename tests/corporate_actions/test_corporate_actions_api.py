"""Corporate actions through the real app on SQLite and PostgreSQL: entering, refusing,
suggestions and their confirmation, and the figures across an ex-date."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import CorporateAction

CountRows = Callable[[], dict[str, int]]

if TYPE_CHECKING:
    from support import ApiUser


def _ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _actions(user: ApiUser, asset_id: str) -> str:
    return f"/api/assets/{asset_id}/corporate-actions"


def _stock(user: ApiUser, **fields: Any) -> str:
    asset = user.create_asset(name="ACME", type="stock", ticker_symbol="ACME", **fields)
    return str(asset["id"])


def test_a_split_doubles_the_holding_and_halves_the_unit_cost(alice: ApiUser) -> None:
    asset_id = _stock(alice)
    buy = _ok(alice.trade(asset_id, "buy", "10", "100", "2024-01-01", fee="10"))
    split = _ok(
        alice.post(
            _actions(alice, asset_id),
            json={"type": "split", "ex_date": "2024-02-01", "numerator": "2", "denominator": "1"},
        )
    )
    assert (split["type"], split["numerator"], split["denominator"], split["status"]) == (
        "split",
        "2",
        "1",
        "confirmed",
    )
    assert _ok(alice.get(_actions(alice, asset_id)), 200) == [split]
    holding = _ok(alice.get(f"/api/assets/{asset_id}"), 200)["holding"]
    assert (holding["quantity"], holding["cost_basis"], holding["average_cost"]) == (
        "20",
        "1010",
        "50.5",
    )
    (lot,) = _ok(alice.get(f"/api/assets/{asset_id}/lots"), 200)
    assert (lot["transaction_id"], lot["trade_date"]) == (buy["id"], "2024-01-01")
    assert (lot["original_quantity"], lot["remaining_quantity"], lot["price_per_unit"]) == (
        "20",
        "20",
        "50",
    )
    # A sell after the ex-date is in post-split shares.
    _ok(alice.trade(asset_id, "sell", "20", "60", "2024-02-02"))
    (sale,) = _ok(alice.get(f"/api/assets/{asset_id}/realized"), 200)
    assert (sale["cost"], sale["realized_pnl"]) == ("1010", "190")
    # Deleting the split would make that sell an oversell: refused.
    response = alice.delete(f"{_actions(alice, asset_id)}/{split['id']}")
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert (detail["loc"], detail["type"]) == (["path", "action_id"], "oversell")


def test_a_bonus_issue_in_percent_and_the_transactions_stay_as_recorded(alice: ApiUser) -> None:
    asset_id = _stock(alice)
    _ok(alice.trade(asset_id, "buy", "100", "10", "2024-01-01"))
    recorded = _ok(alice.get(f"/api/transactions?asset_id={asset_id}"), 200)
    bonus = _ok(
        alice.post(
            _actions(alice, asset_id),
            json={"type": "bonus", "ex_date": "2024-03-01", "bonus_percent": "25"},
        )
    )
    assert (bonus["numerator"], bonus["denominator"]) == ("125", "100")
    holding = _ok(alice.get(f"/api/assets/{asset_id}"), 200)["holding"]
    assert (holding["quantity"], holding["cost_basis"], holding["average_cost"]) == (
        "125",
        "1000",
        "8",
    )
    assert _ok(alice.get(f"/api/transactions?asset_id={asset_id}"), 200) == recorded
    # Deleting it (nothing depends on it) restores the figures.
    assert alice.delete(f"{_actions(alice, asset_id)}/{bonus['id']}").status_code == 204
    assert _ok(alice.get(f"/api/assets/{asset_id}"), 200)["holding"]["quantity"] == "100"


def test_an_action_that_would_make_a_later_sell_oversell_is_refused(
    alice: ApiUser, count_rows: CountRows
) -> None:
    asset_id = _stock(alice)
    _ok(alice.trade(asset_id, "buy", "10", "100", "2024-01-01"))
    _ok(alice.trade(asset_id, "sell", "8", "100", "2024-03-01"))
    before = count_rows()
    response = alice.post(
        _actions(alice, asset_id),
        json={
            "type": "reverse_split",
            "ex_date": "2024-02-01",
            "numerator": "1",
            "denominator": "10",
        },
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert (detail["loc"], detail["type"]) == (["body", "ex_date"], "oversell")
    assert count_rows() == before
    # After the sell it is fine: 2 left become 0.2.
    _ok(
        alice.post(
            _actions(alice, asset_id),
            json={
                "type": "reverse_split",
                "ex_date": "2024-03-02",
                "numerator": "1",
                "denominator": "10",
            },
        )
    )
    assert _ok(alice.get(f"/api/assets/{asset_id}"), 200)["holding"]["quantity"] == "0.2"
    # And a new trade is checked against the post-action holding.
    response = alice.trade(asset_id, "sell", "0.3", "100", "2024-03-05")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "oversell"


def test_bad_actions_are_refused_where_they_are(alice: ApiUser, count_rows: CountRows) -> None:
    asset_id = _stock(alice)
    url = _actions(alice, asset_id)
    cases = [
        (
            {"type": "split", "ex_date": "2024-01-01", "numerator": "1", "denominator": "2"},
            "numerator",
        ),
        ({"type": "split", "ex_date": "2024-01-01", "denominator": "2"}, "numerator"),
        ({"type": "split", "ex_date": "2024-01-01", "numerator": "2"}, "denominator"),
        ({"type": "split", "ex_date": "2024-01-01", "bonus_percent": "10"}, "type"),
        (
            {"type": "split", "ex_date": "2999-01-01", "numerator": "2", "denominator": "1"},
            "ex_date",
        ),
        ({"type": "split", "ex_date": "20240101", "numerator": "2", "denominator": "1"}, "ex_date"),
        ({"type": "merge", "ex_date": "2024-01-01", "numerator": "2", "denominator": "1"}, "type"),
        (
            {"type": "split", "ex_date": "2024-01-01", "numerator": "-2", "denominator": "1"},
            "numerator",
        ),
        (
            {"type": "bonus", "ex_date": "2024-01-01", "numerator": "1E+7", "denominator": "1"},
            "numerator",
        ),
    ]
    for body, field in cases:
        before = count_rows()
        response = alice.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"][0]["loc"][-1] == field, (body, response.text)
        assert count_rows() == before
    good = {"type": "split", "ex_date": "2024-01-01", "numerator": "2", "denominator": "1"}
    _ok(alice.post(url, json=good))
    assert alice.post(url, json=good).status_code == 409


def test_another_users_asset_and_action_are_404(alice: ApiUser, bob: ApiUser) -> None:
    asset_id = _stock(alice)
    split = _ok(
        alice.post(
            _actions(alice, asset_id),
            json={"type": "split", "ex_date": "2024-02-01", "numerator": "2", "denominator": "1"},
        )
    )
    body = {"type": "split", "ex_date": "2024-03-01", "numerator": "2", "denominator": "1"}
    assert bob.get(_actions(bob, asset_id)).status_code == 404
    assert bob.post(_actions(bob, asset_id), json=body).status_code == 404
    assert bob.delete(f"{_actions(bob, asset_id)}/{split['id']}").status_code == 404
    assert bob.post(f"{_actions(bob, asset_id)}/{split['id']}/confirm").status_code == 404
    bobs = _stock(bob)
    assert bob.delete(f"{_actions(bob, bobs)}/{split['id']}").status_code == 404
    assert bob.post(f"{_actions(bob, bobs)}/{split['id']}/confirm").status_code == 404
    assert _ok(alice.get(_actions(alice, asset_id)), 200) == [split]
    unknown = uuid.uuid4()
    assert alice.delete(f"{_actions(alice, asset_id)}/{unknown}").status_code == 404
    assert alice.get(_actions(alice, str(unknown))).status_code == 404


def _suggest(engine: Engine, user: ApiUser, asset_id: str, ex_date: str) -> str:
    """A split suggestion as the price feed stores it."""
    with Session(engine) as db:
        row = CorporateAction(
            user_id=uuid.UUID(user.id),
            asset_id=uuid.UUID(asset_id),
            kind="split",
            ex_date=date.fromisoformat(ex_date),
            numerator=Decimal(4),
            denominator=Decimal(1),
            status="suggested",
            source="yahoo",
        )
        db.add(row)
        db.commit()
        return str(row.id)


def test_a_suggestion_is_shown_never_applied_until_confirmed(
    alice: ApiUser, engine: Engine
) -> None:
    asset_id = _stock(alice)
    _ok(alice.trade(asset_id, "buy", "10", "100", "2024-01-01"))
    assert _ok(alice.get("/api/portfolio"), 200)["holdings"][0]["quantity"] == "10"
    suggestion = _suggest(engine, alice, asset_id, "2024-02-01")
    (shown,) = _ok(alice.get(_actions(alice, asset_id)), 200)
    assert (shown["id"], shown["status"], shown["source"]) == (suggestion, "suggested", "yahoo")
    assert _ok(alice.get(f"/api/assets/{asset_id}"), 200)["holding"]["quantity"] == "10"
    confirmed = _ok(alice.post(f"{_actions(alice, asset_id)}/{suggestion}/confirm"), 200)
    assert confirmed["status"] == "confirmed"
    assert _ok(alice.get(f"/api/assets/{asset_id}"), 200)["holding"]["quantity"] == "40"
    # The portfolio's cached figures were invalidated by the confirmation.
    assert _ok(alice.get("/api/portfolio"), 200)["holdings"][0]["quantity"] == "40"


def test_deleting_a_suggestion_dismisses_it(alice: ApiUser, engine: Engine) -> None:
    asset_id = _stock(alice)
    suggestion = _suggest(engine, alice, asset_id, "2024-02-01")
    assert alice.delete(f"{_actions(alice, asset_id)}/{suggestion}").status_code == 204
    assert _ok(alice.get(_actions(alice, asset_id)), 200) == []
    assert alice.post(f"{_actions(alice, asset_id)}/{suggestion}/confirm").status_code == 404
