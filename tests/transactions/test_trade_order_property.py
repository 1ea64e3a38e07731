"""Property (issue 8, c): for random creates, edits of the date, moves between assets and
changes of the user's time zone, the order of trades is one and the same in the lists (with
and without assetId), the history-validity check, FIFO (lots and realised) and the history's
daily flows — and it is the documented one: calendar day in the user's zone at entry, time of
day where given (date-only last), then entry order. The expected values are computed here,
independently of the code under test."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

if TYPE_CHECKING:
    from collections.abc import Callable

    from support import ApiUser

ZONES = ["Europe/Istanbul", "America/New_York", "Pacific/Kiritimati", "UTC"]
DAY0 = date(2024, 3, 1)


@dataclass
class Model:
    id: str
    asset: int
    kind: str
    quantity: int
    price: int
    day: date
    at: time | None
    entry: int


def _placed(given_at: str, zone: str) -> tuple[date, time | None]:
    if "T" not in given_at:
        return date.fromisoformat(given_at), None
    local = datetime.fromisoformat(given_at.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return local.date(), local.time()


def _key(t: Model) -> tuple[date, bool, time, int]:
    return t.day, t.at is None, t.at or time(0), t.entry


def _fifo(trades: list[Model]) -> tuple[list[str], list[list[str]]] | None:
    """(open lot ids, consumed buy ids per sell) of trades in order; None on an oversell."""
    lots: deque[list[Any]] = deque()
    consumed: list[list[str]] = []
    for t in trades:
        if t.kind == "buy":
            lots.append([t.id, t.quantity])
            continue
        need, pieces = t.quantity, []
        while need:
            if not lots:
                return None
            lot = lots[0]
            pieces.append(lot[0])
            taken = min(need, lot[1])
            lot[1] -= taken
            need -= taken
            if not lot[1]:
                lots.popleft()
        consumed.append(pieces)
    return [lot[0] for lot in lots], consumed


def _valid(model: list[Model]) -> bool:
    ordered = sorted(model, key=_key)
    return all(_fifo([t for t in ordered if t.asset == a]) is not None for a in (0, 1))


WHEN = st.tuples(
    st.integers(0, 2),
    st.sampled_from([None, "00:30:00", "09:00:00", "10:00:00", "23:30:00"]),
    st.sampled_from(["+03:00", "Z", "-05:00", ""]),
).map(
    lambda w: (DAY0 + timedelta(days=w[0])).isoformat() + ("" if w[1] is None else f"T{w[1]}{w[2]}")
)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("zone"), st.sampled_from(ZONES)),
        st.tuples(
            st.just("create"),
            st.integers(0, 1),
            st.sampled_from(["buy", "buy", "sell"]),
            st.integers(1, 3),
            WHEN,
        ),
        st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, 1)),
        st.tuples(st.just("redate"), st.integers(0, 20), WHEN),
    ),
    min_size=1,
    max_size=9,
)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_one_order_of_trades_in_lists_validity_fifo_and_history(
    make_user: Callable[..., ApiUser], ops: list[tuple[Any, ...]]
) -> None:
    user = make_user()
    assets = [user.create_asset(name=f"A{i}", type="fund")["id"] for i in (0, 1)]
    zone = "Europe/Istanbul"
    model: list[Model] = []
    for op in ops:
        if op[0] == "zone":
            zone = op[1]
            assert user.put("/api/settings", json={"time_zone": zone}).status_code == 200
        elif op[0] == "create":
            _, asset, kind, quantity, when = op
            day, at = _placed(when, zone)
            price = 10 + len(model)
            new = Model("?", asset, kind, quantity, price, day, at, len(model))
            response = user.trade(assets[asset], kind, str(quantity), str(price), when)
            expected_ok = _valid([*model, new])
            assert (response.status_code == 201) == expected_ok, (op, response.text)
            if expected_ok:
                body = response.json()
                new.id = body["id"]
                assert (body["trade_date"], body["trade_time"]) == (
                    day.isoformat(),
                    None if at is None else at.isoformat(),
                )
                model.append(new)
        elif model:
            target = model[op[1] % len(model)]
            if op[0] == "move":
                changed = Model(**{**target.__dict__, "asset": op[2]})
                payload: dict[str, Any] = {"asset_id": assets[op[2]]}
            else:
                day, at = _placed(op[2], zone)
                changed = Model(**{**target.__dict__, "day": day, "at": at})
                payload = {"transaction_date": op[2]}
            after = [changed if t is target else t for t in model]
            response = user.put(f"/api/transactions/{target.id}", json=payload)
            assert (response.status_code == 200) == _valid(after), (op, response.text)
            if response.status_code == 200:
                model = after

    ordered = sorted(model, key=_key)
    listed = user.get("/api/transactions").json()
    assert [t["id"] for t in listed] == [t.id for t in ordered]
    for a, asset_id in enumerate(assets):
        mine = [t for t in ordered if t.asset == a]
        filtered = user.get("/api/transactions", params={"assetId": asset_id}).json()
        assert [t["id"] for t in filtered] == [t.id for t in mine]
        fifo = _fifo(mine)
        assert fifo is not None
        open_ids, consumed = fifo
        lots = user.get(f"/api/assets/{asset_id}/lots").json()
        assert [lot["transaction_id"] for lot in lots] == open_ids
        realized = user.get(f"/api/assets/{asset_id}/realized").json()
        assert [r["transaction_id"] for r in realized] == [t.id for t in mine if t.kind == "sell"]
        assert [[c["transaction_id"] for c in r["consumed_lots"]] for r in realized] == consumed
    if model:
        start, end = ordered[0].day, ordered[-1].day
        history = user.get(f"/api/portfolio/history?from={start}&to={end}").json()
        flows: dict[str, int] = {}
        for t in model:
            signed = t.quantity * t.price * (1 if t.kind == "buy" else -1)
            flows[t.day.isoformat()] = flows.get(t.day.isoformat(), 0) + signed
        assert {
            p["date"]: int(p["net_flow"]) for p in history["points"] if p["net_flow"] != "0"
        } == {d: f for d, f in flows.items() if f}
