"""Cost-basis methods and corporate actions: hand-computed examples and invariants over
generated histories (the generator and the exact-context rule are test_lots's)."""

from __future__ import annotations

import decimal
import pickle
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_lots import DAY0, EXACT, buy_cost, histories, shuffled, trade

from portfolio_tracker.engine.actions import (
    CorporateAction,
    bonus_ratio,
    scale_lots,
    scale_quantity,
)
from portfolio_tracker.engine.lots import (
    FifoResult,
    OversellError,
    Trade,
    check_history,
    quantity_timeline,
    run_fifo,
)
from portfolio_tracker.engine.methods import (
    AllocationError,
    _replay,
    check_lots,
    run_lots,
)
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.vocabulary import CorporateActionKind, CostBasisMethod

D = Decimal
METHODS = tuple(CostBasisMethod)


def on(day: int) -> date:
    return DAY0 + timedelta(days=day - 1)


def action(kind: str, day: int, n: str, d: str, id: str = "a") -> CorporateAction:
    return CorporateAction(id, CorporateActionKind(kind), on(day), D(n), D(d))


def pieces(result: FifoResult, i: int = 0) -> list[tuple[str, object, object]]:
    """(buy id, quantity, cost) of each piece the i-th sell consumed."""
    return [(c.buy_id, c.quantity, c.cost) for c in result.realizations[i].consumed]


THREE_LOTS = [
    trade("b1", "buy", "10", "100", "5", day=1),  # unit cost 100.5
    trade("b2", "buy", "5", "120", "10", day=2),  # unit cost 122
    trade("b3", "buy", "5", "110", "0", day=3),  # unit cost 110
    trade("s1", "sell", "12", "130", "4", day=4),  # proceeds 1556
]


# --- hand-computed examples -------------------------------------------------------------


def test_lifo_takes_the_newest_lots_first() -> None:
    result = run_lots(THREE_LOTS, "lifo")
    # 5 of b3 (550), 5 of b2 (610), 2 of b1 (201)
    assert pieces(result) == [("b3", 5, 550), ("b2", 5, 610), ("b1", 2, 201)]
    assert result.realizations[0].cost == D("1361")
    assert result.realized_pnl == D("195")  # 1556 - 1361
    (lot,) = result.open_lots
    assert (lot.buy_id, lot.remaining_quantity, lot.remaining_cost) == ("b1", D(8), D("804"))


def test_hifo_takes_the_highest_unit_cost_first_fees_included() -> None:
    result = run_lots(THREE_LOTS, "hifo")
    # b2 (122 with its fee) before b3 (110) before b1 (100.5)
    assert pieces(result) == [("b2", 5, 610), ("b3", 5, 550), ("b1", 2, 201)]
    assert result.realized_pnl == D("195")
    # Without b2's fee its unit cost would still be 120; make the fee decide instead:
    tied = [
        trade("x1", "buy", "1", "100", "10", day=1),  # 110
        trade("x2", "buy", "1", "105", "0", day=2),  # 105
        trade("x3", "buy", "2", "105", "10", day=3),  # 110, ties with x1: the older first
        trade("s", "sell", "2", "100", day=4),
    ]
    assert pieces(run_lots(tied, "hifo")) == [("x1", 1, 110), ("x3", 1, 110)]


def test_average_costs_each_sell_at_the_moving_average_and_resets_at_zero() -> None:
    history = [
        trade("b1", "buy", "10", "100", "0", day=1),
        trade("b2", "buy", "10", "200", "0", day=2),  # pool 20 units, 3000: average 150
        trade("s1", "sell", "4", "170", "0", day=3),  # cost 600, pnl 80
        trade("b3", "buy", "4", "300", "0", day=4),  # pool 20 units, 2400 + 1200: average 180
        trade("s2", "sell", "20", "190", "0", day=5),  # cost 3600: back to zero
        trade("b4", "buy", "2", "50", "1", day=6),  # a fresh start: average 50.5
    ]
    result = run_lots(history, "average")
    s1, s2 = result.realizations
    assert (s1.cost, s1.realized_pnl) == (D(600), D(80))
    # The sold quantity names lots oldest first, each piece at the average cost.
    assert pieces(result, 0) == [("b1", 4, 600)]
    assert (s2.cost, s2.realized_pnl) == (D(3600), D(200))
    assert pieces(result, 1) == [("b1", 6, 1080), ("b2", 10, 1800), ("b3", 4, 720)]
    (lot,) = result.open_lots
    assert (lot.buy_id, lot.remaining_cost, lot.cost_per_unit) == ("b4", D(101), D("50.5"))
    assert result.average_cost == D("50.5")


def test_average_open_lots_carry_their_share_of_the_pool() -> None:
    history = [
        trade("b1", "buy", "1", "10", day=1),
        trade("b2", "buy", "2", "20", day=2),
        trade("s", "sell", "1", "0", day=3),  # pool 3 units 50 -> 2 units 33.33…
    ]
    result = run_lots(history, "average")
    (sale,) = result.realizations
    assert pieces(result) == [("b1", 1, sale.cost)]  # the oldest lot, at the average
    (lot,) = result.open_lots
    assert (lot.buy_id, lot.remaining_quantity) == ("b2", D(2))
    with decimal.localcontext(ENGINE_CONTEXT):
        assert abs(sale.cost - D(50) / 3) < D("1E-39")
    with decimal.localcontext(EXACT):
        assert lot.remaining_cost + sale.cost == 50
    assert lot.cost_per_unit == result.average_cost


def test_specific_sells_the_named_lots_and_others_fall_back_to_fifo() -> None:
    history = [*THREE_LOTS, trade("s2", "sell", "3", "130", day=5)]
    allocations = {"s1": [("b3", D(5)), ("b1", D(7))]}
    result = run_lots(history, "specific", allocations=allocations)
    assert pieces(result, 0) == [("b3", 5, 550), ("b1", D(7), D("703.5"))]
    assert pieces(result, 1) == [("b1", 3, D("301.5"))]  # no allocations: FIFO
    assert [lot.buy_id for lot in result.open_lots] == ["b2"]
    # Allocations are read only under `specific`.
    assert run_lots(history, "fifo", allocations=allocations) == run_fifo(history)


@pytest.mark.parametrize(
    ("allocation", "problem", "buy_id"),
    [
        ([("b1", D(11))], "sum", None),
        ([("b1", D(10)), ("b2", D(1)), ("b3", D(2))], "sum", None),
        ([("b1", D(12)), ("b2", D(0))], "quantity", "b2"),
        ([("b1", D(10)), ("zz", D(2))], "not_open", "zz"),
        ([("b2", D(6)), ("b1", D(6))], "insufficient", "b2"),
    ],
)
def test_specific_refuses_allocations_it_cannot_honour(
    allocation: list[tuple[str, Decimal]], problem: str, buy_id: str | None
) -> None:
    with pytest.raises(AllocationError) as caught:
        run_lots(THREE_LOTS, "specific", allocations={"s1": allocation})
    err = caught.value
    assert (err.sell_id, err.problem, err.buy_id) == ("s1", problem, buy_id)
    assert isinstance(err, ValueError)
    assert pickle.loads(pickle.dumps(err)).problem == problem
    with pytest.raises(AllocationError):
        check_lots(THREE_LOTS, "specific", allocations={"s1": allocation})


def test_specific_refuses_a_later_lot_a_used_up_lot_and_a_buy_with_allocations() -> None:
    history = [
        trade("b1", "buy", "5", day=1),
        trade("s1", "sell", "5", day=2),
        trade("b2", "buy", "5", day=3),
        trade("s2", "sell", "1", day=4),
    ]
    for allocations, sell in (
        ({"s1": [("b2", D(5))]}, "s1"),  # b2 is bought after s1
        ({"s2": [("b1", D(1))]}, "s2"),  # b1 was used up by s1
    ):
        with pytest.raises(AllocationError) as caught:
            run_lots(history, "specific", allocations=allocations)
        assert (caught.value.sell_id, caught.value.problem) == (sell, "not_open")
    with pytest.raises(AllocationError) as caught:
        run_lots(history, "specific", allocations={"b1": [("b1", D(1))]})
    assert caught.value.problem == "not_a_sell"
    # An id that is no trade is ignored (allocations are stored per sell).
    assert run_lots(history, "specific", allocations={"gone": [("b1", D(1))]}) == run_fifo(history)


def test_a_split_rescales_open_lots_at_the_start_of_its_ex_date() -> None:
    history = [
        trade("b1", "buy", "10", "100", "10", day=1),
        trade("s1", "sell", "4", "120", day=2),
        # ex-date day 3: 6 left become 12 at half the unit cost; total cost unchanged
        trade("s2", "sell", "12", "70", day=3),  # all of it, post-split quantity
    ]
    split = action("split", 3, "2", "1")
    result = run_lots(history, "fifo", actions=[split])
    assert result.quantity == 0
    assert pieces(result, 1) == [("b1", 12, D("606"))]  # 1010 - 404
    assert result.realizations[1].realized_pnl == D("234")  # 840 - 606
    # Before the split the same sell is an oversell, in every check.
    with pytest.raises(OversellError) as caught:
        check_history(history)
    assert caught.value.sell_id == "s2"
    check_history(history, [split])
    assert [held for _, held in quantity_timeline(history, [split])] == [10, 6, 0]


def test_an_open_lot_shows_its_buy_in_post_action_units() -> None:
    history = [trade("b1", "buy", "10", "100", "10", day=1)]
    result = run_lots(history, "lifo", actions=[action("bonus", 2, *map(str, bonus_ratio(D(25))))])
    (lot,) = result.open_lots
    assert lot.original_quantity == lot.remaining_quantity == D("12.5")
    assert lot.price_per_unit == D(80)
    assert lot.cost_per_unit == D("80.8")
    assert lot.remaining_cost == D(1010)
    assert lot.day == on(1)  # bonus shares inherit the lot's date


def test_a_reverse_split_that_does_not_terminate_keeps_the_lots_adding_up() -> None:
    history = [trade("b1", "buy", "1", day=1), trade("b2", "buy", "1", day=1, entry=1)]
    third = action("reverse_split", 2, "1", "3")
    result = run_lots(history, "fifo", actions=[third])
    with decimal.localcontext(EXACT):
        assert sum((lot.remaining_quantity for lot in result.open_lots), D(0)) == result.quantity
    with decimal.localcontext(ENGINE_CONTEXT):
        assert result.quantity == scale_quantity(D(2), third)
        assert abs(result.quantity - D(2) / 3) < D("1E-40")
    assert result.cost_basis == 2


@pytest.mark.parametrize(
    ("kind", "n", "d"),
    [("split", "1", "2"), ("bonus", "1", "1"), ("reverse_split", "2", "1"), ("split", "0", "1")],
)
def test_an_action_with_the_wrong_ratio_is_refused(kind: str, n: str, d: str) -> None:
    with pytest.raises(ValueError, match="action a"):
        action(kind, 1, n, d)


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError):
        run_lots(THREE_LOTS, "newest")


# --- invariants over generated histories ------------------------------------------------

RATIOS = [("2", "1"), ("3", "1"), ("3", "2"), ("125", "100"), ("1", "2"), ("1", "10"), ("1", "3")]


@st.composite
def with_actions(draw: st.DrawFn) -> tuple[list[Trade], list[CorporateAction]]:
    """A valid history (sells never oversell, actions applied) and its actions."""
    base = draw(histories())
    days = sorted({t.day for t in base}) or [DAY0]
    actions: list[CorporateAction] = []
    for i in range(draw(st.integers(0, 3))):
        n, d = draw(st.sampled_from(RATIOS))
        kind = "split" if D(n) > D(d) else "reverse_split"
        ex = draw(st.sampled_from(days)) + timedelta(days=draw(st.integers(0, 1)))
        actions.append(CorporateAction(f"a{i}", CorporateActionKind(kind), ex, D(n), D(d)))
    # Keep each sell within what is held once the actions apply: cap it at the holding.
    trades: list[Trade] = []
    for t in base:
        if t.kind == "sell":
            # A rescaled holding may have more places than a trade can: round it down.
            held = _held_at(trades, actions, t).quantize(D("1E-18"), decimal.ROUND_DOWN)
            if held <= 0:
                continue
            if t.quantity > held:
                t = Trade(
                    t.id, "sell", held, t.price_per_unit, t.fee, t.day, t.entry, t.time_of_day
                )
        trades.append(t)
    return trades, actions


def _held_at(trades: Sequence[Trade], actions: Sequence[CorporateAction], t: Trade) -> Decimal:
    """What is held just before ``t`` (placed after every trade so far), actions applied."""
    held = D(0)
    pending = sorted(actions, key=lambda a: a.ex_date)
    with decimal.localcontext(ENGINE_CONTEXT):
        for x in [*trades, t]:
            while pending and pending[0].ex_date <= x.day:
                held = scale_quantity(held, pending.pop(0))
            if x is t:
                return held
            held = held + x.quantity if x.kind == "buy" else held - x.quantity
    raise AssertionError("unreachable")


def check_conservation(
    trades: list[Trade], actions: list[CorporateAction], result: FifoResult
) -> None:
    """Quantity and total cost conserved across sells and actions; realised + remaining =
    bought; every sell's pieces add up."""
    held = D(0)
    pending = sorted(actions, key=lambda a: a.ex_date)
    with decimal.localcontext(ENGINE_CONTEXT):
        for t in trades:  # generated in the order of trades
            while pending and pending[0].ex_date <= t.day:
                held = scale_quantity(held, pending.pop(0))
            held = held + t.quantity if t.kind == "buy" else held - t.quantity
        for a in pending:
            held = scale_quantity(held, a)
    with decimal.localcontext(EXACT):
        assert result.quantity == held
        assert sum((lot.remaining_quantity for lot in result.open_lots), D(0)) == held
        bought = sum((buy_cost(t) for t in trades if t.kind == "buy"), D(0))
        realised_cost = sum((r.cost for r in result.realizations), D(0))
        assert sum((lot.remaining_cost for lot in result.open_lots), D(0)) == result.cost_basis
        assert realised_cost + result.cost_basis == bought
        by_id = {t.id: t for t in trades}
        for r in result.realizations:
            assert r.quantity == by_id[r.sell_id].quantity
            assert sum((c.quantity for c in r.consumed), D(0)) == r.quantity
            assert sum((c.cost for c in r.consumed), D(0)) == r.cost
            assert r.realized_pnl == r.proceeds - r.cost
        assert result.realized_pnl == sum((r.realized_pnl for r in result.realizations), D(0))
    for lot in result.open_lots:
        assert lot.remaining_quantity > 0
        assert lot.remaining_cost >= 0


@settings(max_examples=60)
@given(with_actions(), st.sampled_from(METHODS), st.integers())
def test_every_method_conserves_quantity_and_cost_across_actions(
    case: tuple[list[Trade], list[CorporateAction]], method: CostBasisMethod, seed: int
) -> None:
    trades, actions = case
    result = run_lots(shuffled(trades, seed), method, actions=actions)
    check_conservation(trades, actions, result)
    check_lots(trades, method, actions=actions)


@given(histories(), st.sampled_from(METHODS))
def test_every_method_conserves_quantity_and_cost(
    history: list[Trade], method: CostBasisMethod
) -> None:
    check_conservation(history, [], run_lots(history, method))


@given(histories())
def test_the_generic_replay_gives_fifo_exactly_the_tuned_loops_figures(
    history: list[Trade],
) -> None:
    with decimal.localcontext(ENGINE_CONTEXT):
        assert _replay(history, CostBasisMethod.fifo, [], {}).result == run_fifo(history)


@given(with_actions())
def test_specific_with_fifos_allocations_gives_fifos_figures(
    case: tuple[list[Trade], list[CorporateAction]],
) -> None:
    trades, actions = case
    fifo = run_lots(trades, "fifo", actions=actions)
    allocations = {
        r.sell_id: [(c.buy_id, c.quantity) for c in r.consumed] for r in fifo.realizations
    }
    assert run_lots(trades, "specific", actions=actions, allocations=allocations) == fifo


@given(histories(), st.sampled_from(METHODS), st.integers(2, 10), st.data())
def test_a_split_followed_by_its_reverse_changes_no_figure(
    history: list[Trade], method: CostBasisMethod, n: int, data: st.DataObject
) -> None:
    days = sorted({t.day for t in history}) or [DAY0]
    ex = data.draw(st.sampled_from(days)) + timedelta(days=data.draw(st.integers(0, 1)))
    split = CorporateAction("s", CorporateActionKind.SPLIT, ex, D(n), D(1))
    back = CorporateAction("r", CorporateActionKind.REVERSE_SPLIT, ex, D(1), D(n))
    assert run_lots(history, method, actions=[split, back]) == run_lots(history, method)


@given(with_actions(), st.sampled_from(METHODS), st.data())
def test_the_oversell_check_agrees_with_every_method_under_actions(
    case: tuple[list[Trade], list[CorporateAction]], method: CostBasisMethod, data: st.DataObject
) -> None:
    trades, actions = case
    if not trades:
        return
    last = trades[-1]
    probe = Trade("bad", "sell", D(1), D(1), D(0), last.day, last.entry + 1, last.time_of_day)
    held = _held_at(trades, actions, probe)
    excess = data.draw(st.decimals(D("0.0001"), 100, places=4))
    quantity = held.quantize(D("1E-18"), decimal.ROUND_UP) + excess
    bad = Trade("bad", "sell", quantity, D(1), D(0), last.day, last.entry + 1, last.time_of_day)
    with decimal.localcontext(ENGINE_CONTEXT):
        shortfall = quantity - held
    for check in (
        lambda: run_lots([*trades, bad], method, actions=actions),
        lambda: check_history([*trades, bad], actions),
    ):
        with pytest.raises(OversellError) as caught:
            check()
        assert (caught.value.sell_id, caught.value.shortfall) == ("bad", shortfall)


@given(st.lists(st.integers(1, 10**6), min_size=1, max_size=6), st.sampled_from(RATIOS))
def test_rescaled_lots_add_up_to_the_rescaled_holding(
    units: list[int], ratio: tuple[str, str]
) -> None:
    n, d = ratio
    kind = CorporateActionKind.SPLIT if D(n) > D(d) else CorporateActionKind.REVERSE_SPLIT
    act = CorporateAction("a", kind, DAY0, D(n), D(d))
    quantities = [D(u) / 1000 for u in units]
    with decimal.localcontext(ENGINE_CONTEXT):
        scaled = scale_lots(quantities, act)
        assert sum(scaled, D(0)) == scale_quantity(sum(quantities, D(0)), act)
        for q, s in zip(quantities, scaled, strict=True):
            assert abs(s - q * D(n) / D(d)) <= D("1E-38")


# --- the value history across ex-dates (engine.history with actions) --------------------


@given(
    histories(max_places=2, max_digits=3),
    st.lists(st.sampled_from(RATIOS), max_size=3),
    st.data(),
)
def test_the_history_values_each_day_at_its_own_quantity_and_price(
    history: list[Trade], ratios: list[tuple[str, str]], data: st.DataObject
) -> None:
    """With corporate actions, quantities are counted in today's units and prices are on the
    adjusted basis; the day's value is still (quantity held that day) x (that day's own,
    unadjusted price) — here a constant 7 a unit of the day."""
    from portfolio_tracker.engine.actions import current_units, factor_on
    from portfolio_tracker.engine.fx import RateTable
    from portfolio_tracker.engine.history import HistoryAsset, build_history
    from portfolio_tracker.engine.prices import PriceSeries

    if not history:
        return
    first, last = history[0].day, history[-1].day + timedelta(days=2)
    span = (last - first).days
    actions = []
    for i, (n, d) in enumerate(ratios):
        kind = CorporateActionKind.SPLIT if D(n) > D(d) else CorporateActionKind.REVERSE_SPLIT
        ex = first + timedelta(days=data.draw(st.integers(1, span)))
        actions.append(CorporateAction(f"a{i}", kind, ex, D(n), D(d)))
    days = [first + timedelta(days=i) for i in range(span + 1)]
    with decimal.localcontext(ENGINE_CONTEXT):
        periods = current_units(actions)
        adjusted = PriceSeries.from_points(((d, D(7) / factor_on(d, periods)) for d in days), "TRY")
        points = build_history(
            [HistoryAsset("x", "TRY", history, adjusted, actions)],
            RateTable(()),
            "TRY",
            first,
            last,
        ).points
        # The unadjusted holding of each day: trades in their own units, actions applied.
        held, pending, expected = D(0), sorted(actions, key=lambda a: a.ex_date), []
        trades = list(history)
        for day in days:
            while pending and pending[0].ex_date <= day:
                held = scale_quantity(held, pending.pop(0))
            while trades and trades[0].day == day:
                t = trades.pop(0)
                held = held + t.quantity if t.kind == "buy" else held - t.quantity
            expected.append(held * 7)
        for point, value in zip(points, expected, strict=True):
            assert abs(point.market_value - value) < D("1E-30"), (point, value)
