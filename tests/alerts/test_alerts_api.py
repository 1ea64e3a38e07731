"""GET/POST /api/alerts, GET/PUT/DELETE /api/alerts/{id}, POST /api/alerts/{id}/rearm:
shapes of price and portfolio alerts, validation naming the field, isolation per user; and
the evaluation job: an alert fires once on the stored prices, not again until re-armed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from alerts_seed import gold, price, today, yesterday
from portfolio_tracker.alerts.evaluate import evaluate_alerts
from portfolio_tracker.db.models import Alert, Notification, User, utcnow
from portfolio_tracker.db.session import build_session_factory
from portfolio_tracker.prices.storage import Close, store_closes
from portfolio_tracker.settings import Settings
from support import ApiUser, refusals, row_counts

URL = "/api/alerts"


def evaluate(engine: Engine, settings: Settings) -> str:
    return evaluate_alerts(build_session_factory(engine), settings).line()


def notifications(engine: Engine) -> list[Notification]:
    with Session(engine) as db:
        return list(db.scalars(select(Notification).order_by(Notification.created_at)))


def test_price_alert_on_an_asset_round_trip(alice: ApiUser) -> None:
    asset = gold(alice)
    created = alice.post(
        URL,
        json={
            "kind": "price",
            "asset_id": asset["id"],
            "direction": "above",
            "level": "2500.5",
            "note": "sell some",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["kind"], body["direction"], body["level"], body["state"]) == (
        "price",
        "above",
        "2500.5",
        "armed",
    )
    assert body["triggered_at"] is None and body["asset_id"] == asset["id"]
    assert alice.get(URL).json() == [body]
    assert alice.get(f"{URL}/{body['id']}").json() == body

    changed = alice.put(f"{URL}/{body['id']}", json={"level": "2600", "note": None})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["level"], changed.json()["note"]) == ("2600", None)
    assert alice.put(f"{URL}/{body['id']}", json={"level": None}).status_code == 422

    assert alice.delete(f"{URL}/{body['id']}").status_code == 204
    assert alice.get(f"{URL}/{body['id']}").status_code == 404
    assert alice.get(URL).json() == []


def test_symbol_and_portfolio_alerts(alice: ApiUser) -> None:
    symbol = alice.post(
        URL,
        json={
            "kind": "price",
            "symbol_kind": "stock",
            "symbol": "thyao.is",
            "direction": "below",
            "level": 250,
        },
    )
    assert symbol.status_code == 201, symbol.text
    assert (symbol.json()["symbol"], symbol.json()["symbol_kind"]) == ("THYAO.IS", "stock")
    move = alice.post(URL, json={"kind": "portfolio", "move_pct": "2.5"})
    assert move.status_code == 201, move.text
    assert move.json()["move_pct"] == "2.5" and move.json()["direction"] is None
    assert [a["kind"] for a in alice.get(URL).json()] == ["price", "portfolio"]


ASSET = "00000000-0000-4000-8000-000000000000"
# (body, the field the 422 must name)
REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"kind": "price", "direction": "above", "level": "1"}, "symbol_kind"),
    ({"kind": "price", "symbol_kind": "stock", "direction": "above", "level": "1"}, "symbol"),
    ({"kind": "price", "symbol_kind": "stock", "symbol": "A", "level": "1"}, "direction"),
    ({"kind": "price", "symbol_kind": "stock", "symbol": "A", "direction": "up"}, "direction"),
    ({"kind": "price", "symbol_kind": "stock", "symbol": "A", "direction": "above"}, "level"),
    (
        {"kind": "price", "symbol_kind": "stock", "symbol": "A", "direction": "above", "level": 0},
        "level",
    ),
    (
        {
            "kind": "price",
            "symbol_kind": "stock",
            "symbol": "A",
            "direction": "above",
            "level": "x",
        },
        "level",
    ),
    (
        {
            "kind": "price",
            "symbol_kind": "fx",
            "symbol": "USDTRY",
            "direction": "above",
            "level": 1,
        },
        "symbol_kind",
    ),
    (
        {
            "kind": "price",
            "symbol_kind": "metal",
            "symbol": "XPT",
            "direction": "above",
            "level": 1,
        },
        "symbol",
    ),
    (
        {
            "kind": "price",
            "symbol_kind": "stock",
            "symbol": "A B",
            "direction": "above",
            "level": 1,
        },
        "symbol",
    ),
    (
        {
            "kind": "price",
            "asset_id": ASSET,
            "symbol_kind": "stock",
            "symbol": "A",
            "direction": "above",
            "level": 1,
        },
        "symbol_kind",
    ),
    (
        {
            "kind": "price",
            "symbol_kind": "stock",
            "symbol": "A",
            "direction": "above",
            "level": 1,
            "move_pct": 5,
        },
        "move_pct",
    ),
    ({"kind": "portfolio"}, "move_pct"),
    ({"kind": "portfolio", "move_pct": "-1"}, "move_pct"),
    ({"kind": "portfolio", "move_pct": "1001"}, "move_pct"),
    ({"kind": "portfolio", "move_pct": "5", "level": "1"}, "level"),
    ({"kind": "portfolio", "move_pct": "5", "direction": "above"}, "direction"),
    ({"kind": "portfolio", "move_pct": "5", "note": "x" * 201}, "note"),
    ({"kind": "portfolio", "move_pct": "5", "extra": 1}, "extra"),
    ({"kind": "weather", "move_pct": "5"}, "kind"),
]


@pytest.mark.parametrize(("body", "field"), REFUSED, ids=[f for _, f in REFUSED])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    alice: ApiUser, count_rows: Callable[[], dict[str, int]], body: dict[str, Any], field: str
) -> None:
    assert refusals(count_rows, lambda b: alice.post(URL, json=b), [body], field) == []


def test_another_users_alerts_and_assets_are_404(
    alice: ApiUser, bob: ApiUser, engine: Engine
) -> None:
    asset = gold(alice)
    alert = alice.post(
        URL, json={"kind": "price", "asset_id": asset["id"], "direction": "below", "level": "1"}
    ).json()
    before = row_counts(engine)
    path = f"{URL}/{alert['id']}"
    assert bob.get(path).status_code == 404
    assert bob.put(path, json={"level": "5"}).status_code == 404
    assert bob.post(f"{path}/rearm").status_code == 404
    assert bob.delete(path).status_code == 404
    on_alices_asset = {"kind": "price", "asset_id": asset["id"], "direction": "above", "level": 1}
    assert bob.post(URL, json=on_alices_asset).status_code == 404
    assert bob.get(URL).json() == []
    assert row_counts(engine) == before
    assert alice.get(path).json() == alert


def test_a_price_alert_fires_once_until_re_armed(
    alice: ApiUser, bob: ApiUser, engine: Engine, settings: Settings
) -> None:
    asset = gold(alice)
    price(alice, asset["id"], today(), "2400")
    above = alice.post(
        URL, json={"kind": "price", "asset_id": asset["id"], "direction": "above", "level": "2500"}
    ).json()
    below = alice.post(
        URL, json={"kind": "price", "asset_id": asset["id"], "direction": "below", "level": "2450"}
    ).json()

    assert evaluate(engine, settings) == "2 alerts checked, 1 triggered, 0 failed"
    fired = alice.get(f"{URL}/{below['id']}").json()
    assert fired["state"] == "triggered"
    assert (fired["triggered_value"], fired["triggered_currency"]) == ("2400", "TRY")
    assert fired["triggered_at"] is not None
    assert alice.get(f"{URL}/{above['id']}").json()["state"] == "armed"
    [note] = notifications(engine)
    assert note.kind == "price_alert" and str(note.user_id) == alice.id
    assert note.data["price"] == "2400" and note.data["level"] == "2450"
    assert note.data["direction"] == "below" and note.data["alert_id"] == below["id"]
    assert "Gram gold" in note.title and "2400" in note.body

    # Still below: no second notification while triggered.
    assert evaluate(engine, settings) == "1 alerts checked, 0 triggered, 0 failed"
    price(alice, asset["id"], today(), "2600")
    assert evaluate(engine, settings) == "1 alerts checked, 1 triggered, 0 failed"
    assert len(notifications(engine)) == 2
    assert evaluate(engine, settings) == "0 alerts checked, 0 triggered, 0 failed"

    # Re-armed while the condition holds: it fires again, once.
    price(alice, asset["id"], today(), "2300")
    rearmed = alice.post(f"{URL}/{below['id']}/rearm")
    assert rearmed.status_code == 200 and rearmed.json()["state"] == "armed"
    assert rearmed.json()["triggered_at"] is None
    assert evaluate(engine, settings) == "1 alerts checked, 1 triggered, 0 failed"
    assert evaluate(engine, settings) == "0 alerts checked, 0 triggered, 0 failed"
    assert len(notifications(engine)) == 3
    assert bob.get("/api/notifications").json()["items"] == []


def test_a_changed_level_re_arms(alice: ApiUser, engine: Engine, settings: Settings) -> None:
    asset = gold(alice)
    price(alice, asset["id"], today(), "2400")
    alert = alice.post(
        URL, json={"kind": "price", "asset_id": asset["id"], "direction": "above", "level": "2000"}
    ).json()
    evaluate(engine, settings)
    assert alice.get(f"{URL}/{alert['id']}").json()["state"] == "triggered"
    noted = alice.put(f"{URL}/{alert['id']}", json={"note": "just a note"}).json()
    assert noted["state"] == "triggered"  # a note changes no condition
    moved = alice.put(f"{URL}/{alert['id']}", json={"level": "3000"}).json()
    assert moved["state"] == "armed" and moved["triggered_value"] is None


def test_a_symbol_alert_reads_the_stored_close(
    alice: ApiUser, engine: Engine, settings: Settings
) -> None:
    alert = alice.post(
        URL,
        json={
            "kind": "price",
            "symbol_kind": "crypto",
            "symbol": "btc",
            "direction": "above",
            "level": "90000",
        },
    ).json()
    assert evaluate(engine, settings) == "1 alerts checked, 0 triggered, 0 failed"  # no price
    with Session(engine) as db:
        store_closes(
            db,
            [
                Close(
                    "coingecko",
                    "BTC",
                    datetime.fromisoformat(yesterday()).date(),
                    Decimal("89000"),
                    "USD",
                ),
                Close(
                    "coingecko",
                    "BTC",
                    datetime.fromisoformat(today()).date(),
                    Decimal("91234.5"),
                    "USD",
                ),
            ],
        )
        db.commit()
    assert evaluate(engine, settings) == "1 alerts checked, 1 triggered, 0 failed"
    fired = alice.get(f"{URL}/{alert['id']}").json()
    assert (fired["triggered_value"], fired["triggered_currency"]) == ("91234.5", "USD")
    with Session(engine) as db:
        assert db.scalar(select(Alert.state)) == "triggered"


def test_a_portfolio_alert_fires_on_the_days_move(
    alice: ApiUser, bob: ApiUser, engine: Engine, settings: Settings
) -> None:
    asset = gold(alice)
    price(alice, asset["id"], yesterday(), "2000")
    price(alice, asset["id"], today(), "2080")  # +4 %
    five = alice.post(URL, json={"kind": "portfolio", "move_pct": "5"}).json()
    four = alice.post(URL, json={"kind": "portfolio", "move_pct": "4"}).json()
    bob.post(URL, json={"kind": "portfolio", "move_pct": "0.01"})  # bob has nothing: no move

    assert evaluate(engine, settings) == "3 alerts checked, 1 triggered, 0 failed"
    assert alice.get(f"{URL}/{five['id']}").json()["state"] == "armed"
    fired = alice.get(f"{URL}/{four['id']}").json()
    assert fired["state"] == "triggered"
    assert Decimal(fired["triggered_value"]) == Decimal("0.04")
    assert fired["triggered_currency"] == "TRY"
    [note] = notifications(engine)
    assert note.kind == "portfolio_alert"
    assert Decimal(note.data["day_change"]) == Decimal(800)  # 10 g × 80
    assert "+4.00%" in note.title


def test_deleting_the_asset_takes_its_alerts(alice: ApiUser, engine: Engine) -> None:
    asset = gold(alice)
    alice.post(
        URL, json={"kind": "price", "asset_id": asset["id"], "direction": "above", "level": 1}
    )
    assert row_counts(engine)["alerts"] == 1
    assert alice.delete(f"/api/assets/{asset['id']}").status_code == 204
    assert row_counts(engine)["alerts"] == 0


def test_a_disabled_accounts_alerts_are_not_evaluated(
    alice: ApiUser, engine: Engine, settings: Settings
) -> None:
    asset = gold(alice)
    price(alice, asset["id"], today(), "2400")
    body = {"kind": "price", "asset_id": asset["id"], "direction": "below", "level": "2500"}
    assert alice.post(URL, json=body).status_code == 201
    with Session(engine) as db:
        db.execute(update(User).where(User.email == alice.email).values(disabled_at=utcnow()))
        db.commit()
    assert evaluate(engine, settings) == "0 alerts checked, 0 triggered, 0 failed"
    assert notifications(engine) == []
