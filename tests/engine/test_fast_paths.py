"""The engine's fast paths give what the plain definitions give.

- ``order_trades`` trusts one pass over an already ordered history (its inlined key is
  ``trade_order_key``, ties included);
- ``run_fifo`` writes its records' slots directly and keeps open lots as tuples;
- ``build_history`` and ``summarize_portfolio`` reuse the rate of a repeated day.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_tracker.engine import lots
from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.history import HistoryAsset, build_history
from portfolio_tracker.engine.lots import (
    LotConsumption,
    Realization,
    Trade,
    order_trades,
    run_fifo,
)
from portfolio_tracker.engine.prices import PriceSeries
from portfolio_tracker.engine.valuation import HoldingInput, summarize_portfolio

D = Decimal
T0 = date(2024, 3, 1)
TIMES = (time(0), time(9), time(9, 0, 0, 1), time(23, 59, 59, 999999), None)


def test_record_field_lists_name_every_field_in_order() -> None:
    assert lots._lc_fields == tuple(f.name for f in fields(LotConsumption))
    assert lots._rz_fields == tuple(f.name for f in fields(Realization))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, len(TIMES) - 1), st.integers(0, 3)),
        max_size=12,
    )
)
def test_order_trades_equals_a_stable_sort(keys: list[tuple[int, int, int]]) -> None:
    trades = [
        Trade(f"t{i}", "buy", D(1), D(1), D(0), T0 + timedelta(days=d), e, TIMES[k])
        for i, (d, k, e) in enumerate(keys)
    ]
    # TIMES is in day order, date-only last: its index is an independent time rank.
    expected = sorted(trades, key=lambda t: (t.day, TIMES.index(t.time_of_day), t.entry))
    assert [t.id for t in order_trades(trades)] == [t.id for t in expected]
    assert [t.id for t in order_trades(expected)] == [t.id for t in expected]


def test_a_sell_across_whole_lots_and_part_of_one_builds_normal_records() -> None:
    history = [
        Trade("b1", "buy", D(1), D(10), D(0), T0, 1),
        Trade("b2", "buy", D(2), D(10), D(1), T0, 2),
        Trade("b3", "buy", D(3), D(3), D(0), T0 + timedelta(days=1), 3),
        Trade("s1", "sell", D(4), D(12), D("0.5"), T0 + timedelta(days=2), 4),
        Trade("s2", "sell", D(1), D(12), D(0), T0 + timedelta(days=3), 5),
    ]
    result = run_fifo(history)
    day1 = T0 + timedelta(days=1)
    first = (
        LotConsumption("b1", T0, D(1), D(10)),
        LotConsumption("b2", T0, D(2), D(21)),
        LotConsumption("b3", day1, D(1), D(3)),
    )
    second = (LotConsumption("b3", day1, D(1), D(3)),)
    assert result.realizations == (
        Realization("s1", T0 + timedelta(days=2), D(4), D("47.5"), D(34), D("13.5"), first),
        Realization("s2", T0 + timedelta(days=3), D(1), D(12), D(3), D(9), second),
    )
    (lot,) = result.open_lots
    assert (lot.buy_id, lot.remaining_quantity, lot.remaining_cost) == ("b3", D(1), D(3))


def test_history_and_realised_pnl_take_each_trade_on_its_own_day() -> None:
    trades = [
        Trade("b1", "buy", D(2), D(10), D(0), date(2023, 11, 1), 1),
        Trade("s1", "sell", D(1), D(10), D(0), date(2023, 11, 4), 2, time(23, 30)),
        Trade("s2", "sell", D(1), D(10), D(0), date(2023, 11, 5), 3, time(0, 30)),
    ]
    rates = RateTable(
        [
            (date(2023, 10, 31), "USD", "TRY", D(30)),
            (date(2023, 11, 4), "USD", "TRY", D(31)),
            (date(2023, 11, 5), "USD", "TRY", D(32)),
        ]
    )
    holding = HoldingInput("a", "A", "stock", "USD", run_fifo(trades), None)
    summary = summarize_portfolio([holding], rates, "TRY", date(2023, 11, 6))
    # proceeds 10 at 31 and 10 at 32, each piece's cost 10 at the buy day's 30
    assert summary.realized_pnl == D(10) * 31 + D(10) * 32 - D(10) * 30 - D(10) * 30
    prices = PriceSeries.from_points([(date(2023, 11, 1), D(10))], "USD")
    asset = HistoryAsset("a", "USD", trades, prices)
    points = build_history([asset], rates, "TRY", date(2023, 11, 4), date(2023, 11, 5)).points
    assert [(p.on, p.net_flow) for p in points] == [
        (date(2023, 11, 4), D(-10) * 31),
        (date(2023, 11, 5), D(-10) * 32),
    ]
