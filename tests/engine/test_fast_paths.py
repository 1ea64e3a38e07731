"""The engine's fast paths give what the plain definitions give.

- ``order_trades`` trusts one pass over an already ordered history (its inlined key is
  ``trade_order_key``, ties included);
- ``run_fifo`` keeps its sells as a ``SellTable`` (flat lists, nothing per trade for the
  garbage collector to track) and builds the records (slots written directly) on first
  read: the same records, to the last digit, as the generic replay of engine.methods;
- ``summarize_portfolio`` reads that table without building records: the same figures, to
  the last digit, as from the records;
- ``build_history`` and ``summarize_portfolio`` reuse the rate of a repeated day.
"""

from __future__ import annotations

import gc
import pickle
from dataclasses import fields
from datetime import date, time, timedelta
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st
from test_lots import DAY0, histories

from portfolio_tracker.engine import lots
from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.history import HistoryAsset, build_history
from portfolio_tracker.engine.lots import (
    FifoResult,
    LotConsumption,
    Realization,
    Trade,
    order_trades,
    run_fifo,
    sell_table,
)
from portfolio_tracker.engine.methods import _replay
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.prices import PriceSeries
from portfolio_tracker.engine.valuation import HoldingInput, summarize_portfolio
from portfolio_tracker.engine.vocabulary import CostBasisMethod

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


def test_matching_allocates_no_object_the_collector_tracks_per_trade() -> None:
    # Why the sell table exists: the collector walks tracked objects again and again, and
    # records for a million-trade result would be over a million of them.
    history = []
    for i in range(1000):  # each day: part of a lot, then its rest and another whole
        day = T0 + timedelta(days=i)
        history.append(Trade(f"b{i}", "buy", D(3), D(10 + i % 7), D(1), day, 4 * i))
        history.append(Trade(f"s{i}", "sell", D(2), D(12), D(0), day, 4 * i + 1))
        history.append(Trade(f"c{i}", "buy", D(2), D(11), D(0), day, 4 * i + 2))
        history.append(Trade(f"t{i}", "sell", D(3), D(12), D(0), day, 4 * i + 3))
    gc.collect()
    gc.disable()
    try:
        before = gc.get_count()[0]  # tracked allocations less deallocations
        result = run_fifo(history)
        grown = gc.get_count()[0] - before
    finally:
        gc.enable()
    assert grown < 20  # the result, the table and its lists
    assert len(result.realizations) == 2000  # built only now


def test_a_fifo_result_builds_its_records_once_on_first_read() -> None:
    history = [
        Trade("b1", "buy", D(2), D(10), D(0), T0, 1),
        Trade("b2", "buy", D(3), D(10), D(1), T0, 2),
        Trade("s1", "sell", D(4), D(12), D(0), T0 + timedelta(days=1), 3),
    ]
    result = run_fifo(history)
    table = sell_table(result)
    assert table is not None
    assert list(table.rows()) == [
        (
            history[2],
            D(48),
            D("40.6666666666666666666666666666666666666667"),
            0,
            D(2),
            D(20),
            1,
            D(2),
            D("20.6666666666666666666666666666666666666667"),
        )
    ]
    assert table.buys == history[:2] and table.taken == 2
    (sale,) = result.realizations  # built now, once
    assert sell_table(result) is None
    assert result.realizations[0] is sale
    assert sale == Realization(
        "s1",
        T0 + timedelta(days=1),
        D(4),
        D(48),
        D("40.6666666666666666666666666666666666666667"),
        D("7.3333333333333333333333333333333333333333"),
        (
            LotConsumption("b1", T0, D(2), D(20)),
            LotConsumption("b2", T0, D(2), D("20.6666666666666666666666666666666666666667")),
        ),
    )


def test_a_result_read_or_not_is_the_same_value() -> None:
    history = [
        Trade("b1", "buy", D(2), D(10), D(0), T0, 1),
        Trade("s1", "sell", D(1), D(12), D(0), T0 + timedelta(days=1), 2),
    ]
    fresh, read = run_fifo(history), run_fifo(history)
    assert read.realizations
    assert sell_table(fresh) is not None
    assert fresh == read and hash(fresh) == hash(read) and repr(fresh) == repr(read)
    assert sell_table(fresh) is None  # comparing read it
    unpickled = pickle.loads(pickle.dumps(run_fifo(history)))
    assert unpickled == read and type(unpickled.realizations) is tuple
    assert run_fifo([]) == FifoResult((), (), D(0), D(0), None, D(0))
    assert sell_table(run_fifo(history[:1])) is None  # no sells, no table


@settings(max_examples=200, deadline=None)
@given(histories())
def test_fifo_records_equal_the_generic_replays_to_the_last_digit(history: list[Trade]) -> None:
    with localcontext(ENGINE_CONTEXT):
        replayed = _replay(history, CostBasisMethod.fifo, [], {}).result
    # repr, not ==: Decimal("220") == Decimal("220.000") but the figures must be the same.
    assert repr(run_fifo(history)) == repr(replayed)


def awkward_rates(first: date, days: int, start: int) -> RateTable:
    """USD->TRY with 80-digit rates (1/7, 1/8, ...): products with them round, so a change
    of order in a sum would show in the last digits. None before ``first + start`` days."""
    with localcontext(ENGINE_CONTEXT):
        return RateTable(
            (first + timedelta(days=i), "USD", "TRY", D(1) / D(7 + i)) for i in range(start, days)
        )


@settings(max_examples=200, deadline=None)
@given(histories(), st.integers(-1, 3))
def test_realised_pnl_from_the_sell_table_equals_the_records_to_the_last_digit(
    history: list[Trade], start: int
) -> None:
    # start > -1 leaves the first days without a rate: both ways must then give None alike.
    last = max((t.day for t in history), default=DAY0)
    rates = awkward_rates(DAY0 - timedelta(days=1), (last - DAY0).days + 3, start)

    def summary(read: bool) -> str:
        fifo = run_fifo(history)
        if read:
            assert fifo.realizations is not None
        assert (sell_table(fifo) is None) == (read or not any(t.kind == "sell" for t in history))
        holding = HoldingInput("a", "A", "stock", "USD", fifo, None, None, history)
        return repr(summarize_portfolio([holding], rates, "TRY", last))

    assert summary(read=False) == summary(read=True)


def test_fifo_keeps_the_form_of_its_figures() -> None:
    # A sell inside one lot keeps the exact quotient as it is ("1.0E+2"); a sell across lots
    # sums its pieces from 0 ("110"). The expected forms are those of the record-building loop
    # that the sell table replaced.
    history = [
        Trade("b1", "buy", D(4), D("5E+1"), D("0E+1"), T0, 1),
        Trade("b2", "buy", D(3), D("1E+1"), D("0E+1"), T0, 2),
        Trade("s1", "sell", D(2), D(1), D(0), T0 + timedelta(days=1), 3),
        Trade("s2", "sell", D(3), D(1), D(0), T0 + timedelta(days=2), 4),
    ]
    result = run_fifo(history)
    s1, s2 = result.realizations
    assert [str(c.cost) for c in s1.consumed] == ["1.0E+2"]
    assert (str(s1.cost), str(s1.realized_pnl)) == ("1.0E+2", "-98")
    assert [str(c.cost) for c in s2.consumed] == ["1.0E+2", "1E+1"]
    assert (str(s2.cost), str(s2.realized_pnl)) == ("110", "-107")
    (lot,) = result.open_lots
    assert (str(lot.remaining_quantity), str(lot.remaining_cost)) == ("2", "2E+1")
