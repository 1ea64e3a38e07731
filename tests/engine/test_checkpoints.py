"""Checkpoints: resuming a replay from a stored state gives the figures of a full replay, and
the segment summaries decide the oversell check exactly as a replay does."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from test_lots import histories, trade
from test_methods import METHODS, with_actions

from portfolio_tracker.engine.actions import CorporateAction
from portfolio_tracker.engine.lots import OversellError, Trade, check_history, order_trades
from portfolio_tracker.engine.methods import LotState, replay_lots, run_lots
from portfolio_tracker.engine.segments import (
    day_moves,
    extend_summary,
    first_short_segment,
    merge_flows,
    plan_segments,
    realized_flows,
    summarize_segment,
)
from portfolio_tracker.engine.vocabulary import CostBasisMethod

D = Decimal


def _fifo_allocations(trades: list[Trade]) -> dict[str, list[tuple[str, Decimal]]]:
    """Allocations naming exactly the lots FIFO takes (so `specific` replays are valid)."""
    result = run_fifo_pieces(trades)
    return {sell: pieces for sell, pieces in result.items() if pieces}


def run_fifo_pieces(trades: list[Trade]) -> dict[str, list[tuple[str, Decimal]]]:
    out: dict[str, list[tuple[str, Decimal]]] = {}
    for r in run_lots(trades).realizations:
        out[r.sell_id] = [(p.buy_id, p.quantity) for p in r.consumed]
    return out


@given(with_actions(), st.sampled_from(METHODS), st.data())
def test_resuming_from_any_checkpoint_gives_the_full_replays_figures(
    case: tuple[list[Trade], list[CorporateAction]], method: CostBasisMethod, data: st.DataObject
) -> None:
    trades, actions = case
    ordered = order_trades(trades)
    allocations = _fifo_allocations(ordered) if method == CostBasisMethod.specific else None
    if method == CostBasisMethod.specific and actions:
        allocations = None  # pieces under actions are in post-action units: FIFO fallback
    full = replay_lots(ordered, method, actions=actions, allocations=allocations)
    assert full.result == run_lots(ordered, method, actions=actions, allocations=allocations)
    marks = sorted(set(data.draw(st.lists(st.integers(0, max(len(ordered) - 1, 0)), max_size=4))))
    marks = [m for m in marks if m < len(ordered)]
    with_marks = replay_lots(ordered, method, actions=actions, allocations=allocations, marks=marks)
    assert with_marks.result == full.result
    assert [i for i, _ in with_marks.snapshots] == marks
    for index, state in with_marks.snapshots:
        rest = ordered[index + 1 :]
        resumed = replay_lots(
            rest, method, actions=actions, allocations=allocations, start=state
        ).result
        assert resumed.open_lots == full.result.open_lots
        assert resumed.quantity == full.result.quantity
        assert resumed.cost_basis == full.result.cost_basis
        assert resumed.average_cost == full.result.average_cost
        assert resumed.realized_pnl == full.result.realized_pnl
        assert (
            resumed.realizations
            == full.result.realizations[len(full.result.realizations) - len(resumed.realizations) :]
        )
        # Flows of the pieces before and after the checkpoint add up to the whole.
        before = [r for r in full.result.realizations if r not in resumed.realizations]
        assert merge_flows([realized_flows(before), realized_flows(resumed.realizations)]) == (
            merge_flows([realized_flows(full.result.realizations)])
        )


def test_a_stale_checkpoint_is_refused() -> None:
    state = LotState(CostBasisMethod.lifo, (), D(0), D(0), D(0))
    try:
        replay_lots([], CostBasisMethod.fifo, start=state)
    except ValueError:
        pass
    else:
        raise AssertionError("a checkpoint of another method was resumed")
    gone = dataclasses.replace(state, method=CostBasisMethod.fifo, applied=("x",))
    try:
        replay_lots([], CostBasisMethod.fifo, start=gone)
    except ValueError:
        pass
    else:
        raise AssertionError("a checkpoint with a deleted action was resumed")


@st.composite
def any_histories(draw: st.DrawFn) -> list[Trade]:
    """A valid history with some sells grown past what is held (maybe invalid)."""
    base = order_trades(draw(histories()))
    out = []
    for t in base:
        if t.kind == "sell" and draw(st.integers(0, 4)) == 0:
            t = dataclasses.replace(t, quantity=t.quantity * 3)
        out.append(t)
    return out


@given(any_histories(), st.integers(1, 6))
def test_segment_summaries_find_the_first_oversell_as_a_replay_does(
    trades: list[Trade], size: int
) -> None:
    starts = plan_segments(trades, size)
    bounds = [*starts, len(trades)]
    segments = [trades[a:b] for a, b in itertools.pairwise(bounds)]
    assert sum(len(s) for s in segments) == len(trades)
    for a, b in itertools.pairwise(segments):
        assert a[-1].day < b[0].day  # whole days
    summaries = [summarize_segment(s) for s in segments]
    short = first_short_segment(summaries)
    try:
        check_history(trades)
    except OversellError as exc:
        assert short is not None
        index, _held = short
        assert exc.sell_id in {t.id for t in segments[index]}
    else:
        assert short is None
    # Appending one trade at a time gives the same summary as summarising at once.
    for s in segments:
        grown = summarize_segment([])
        for t in s:
            grown = extend_summary(grown, t)
        assert grown == summarize_segment(s)


@given(histories())
def test_day_moves_add_up_to_the_trades(trades: list[Trade]) -> None:
    ordered = order_trades(trades)
    moves = day_moves(ordered)
    assert [m.day for m in moves] == sorted({t.day for t in ordered})
    held = sum((t.quantity if t.kind == "buy" else -t.quantity for t in ordered), D(0))
    assert sum((m.quantity for m in moves), D(0)) == held
    for m in moves:
        priced = [t.price_per_unit for t in ordered if t.day == m.day and t.price_per_unit]
        assert m.price == (priced[-1] if priced else None)


def test_plan_segments_never_splits_a_day() -> None:
    days = (1, 1, 1, 2, 3, 3)
    trades = [trade(f"t{i}", "buy", "1", day=d, entry=i) for i, d in enumerate(days)]
    assert plan_segments(trades, 2) == [0, 3]
    assert plan_segments([], 2) == []


@given(histories(max_places=2, max_digits=3), st.data())
def test_the_history_from_day_moves_equals_the_history_from_trades(
    history: list[Trade], data: st.DataObject
) -> None:
    """engine.history reads DaySeries (the stored state) exactly like the trades: values,
    flows, invested, exclusions, on ranges that start before, inside and after the trades and
    with a price series that starts late (the entry flow)."""
    import decimal
    from datetime import timedelta

    from portfolio_tracker.engine.fx import RateTable
    from portfolio_tracker.engine.history import HistoryAsset, build_history
    from portfolio_tracker.engine.money import ENGINE_CONTEXT
    from portfolio_tracker.engine.prices import PriceSeries
    from portfolio_tracker.engine.segments import DaySeries

    if not history:
        return
    ordered = order_trades(history)
    first, last = ordered[0].day, ordered[-1].day
    span = (last - first).days
    start = first + timedelta(days=data.draw(st.integers(-3, span + 3)))
    end = start + timedelta(days=data.draw(st.integers(0, span + 6)))
    priced_from = first + timedelta(days=data.draw(st.integers(-2, span + 2)))
    days = [priced_from + timedelta(days=i) for i in range(0, span + 10, 2)]
    with decimal.localcontext(ENGINE_CONTEXT):
        prices = PriceSeries.from_points(((d, D(5) + i) for i, d in enumerate(days)), "TRY")
        by_trades = build_history(
            [HistoryAsset("x", "TRY", ordered, prices)], RateTable(()), "TRY", start, end
        )
        series = DaySeries.of_moves(day_moves(ordered))
        by_days = build_history(
            [HistoryAsset("x", "TRY", (), prices, days=series)], RateTable(()), "TRY", start, end
        )
    assert by_days == by_trades


@given(histories(), st.sampled_from([CostBasisMethod.fifo, CostBasisMethod.specific]), st.data())
def test_the_row_replay_gives_the_generic_replays_figures_flows_and_checkpoints(
    history: list[Trade], method: CostBasisMethod, data: st.DataObject
) -> None:
    from portfolio_tracker.engine.methods import replay_fifo_rows

    ordered = order_trades(history)
    rows = [(t.id, t.kind, t.quantity, t.price_per_unit, t.fee, t.day) for t in ordered]
    top = max(len(ordered) - 1, 0)
    marks = sorted(set(data.draw(st.lists(st.integers(0, top), max_size=4)))) if ordered else []
    cut = data.draw(st.integers(0, len(ordered)))
    head = replay_lots(ordered[:cut], method)
    fast_head = replay_fifo_rows(rows[:cut], method)
    assert fast_head.end == head.end
    generic = replay_lots(
        ordered[cut:], method, start=head.end, marks=[m - cut for m in marks if m >= cut]
    )
    fast = replay_fifo_rows(
        rows[cut:], method, start=fast_head.end, marks=[m - cut for m in marks if m >= cut]
    )
    assert fast.result == dataclasses.replace(generic.result, realizations=())
    assert fast.end == generic.end
    assert list(fast.snapshots.items()) == list(generic.snapshots)
    assert merge_flows(fast.flows) == realized_flows(generic.result.realizations)
    # Each stretch holds the flows of the sells up to its mark.
    ends = [m - cut for m in marks if m >= cut]
    bounds = [*ends, len(rows) - cut - 1]
    sells_before = 0
    for k, end in enumerate(bounds):
        n_sells = sum(1 for r in rows[cut : cut + end + 1] if r[1] == "sell")
        mine = generic.result.realizations[sells_before:n_sells]
        assert merge_flows([fast.flows[k]]) == realized_flows(mine)
        sells_before = n_sells
