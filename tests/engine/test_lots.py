"""FIFO lot matching: hand-computed examples and invariants over generated histories."""

from __future__ import annotations

import decimal
import gc
import pickle
import random
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_tracker.engine.lots import (
    FifoResult,
    LotConsumption,
    OversellError,
    Realization,
    Trade,
    TradeKind,
    check_history,
    order_trades,
    quantity_timeline,
    run_fifo,
)
from portfolio_tracker.engine.money import ENGINE_CONTEXT

D = Decimal
DAY0 = date(2024, 1, 1)

# Identities are checked under a context that traps Inexact: if the test's own sums had to
# round, the test would raise instead of silently comparing rounded figures.
EXACT = ENGINE_CONTEXT.copy()
EXACT.traps[decimal.Inexact] = True


def trade(
    id: str,
    kind: TradeKind,
    quantity: str,
    price: str = "1",
    fee: str = "0",
    day: int = 1,
    entry: int = 0,
    time_of_day: time | None = None,
) -> Trade:
    on = DAY0 + timedelta(days=day - 1)
    return Trade(id, kind, D(quantity), D(price), D(fee), on, entry, time_of_day)


# --- hand-computed examples -------------------------------------------------------------


def test_buy_fee_is_capitalised_into_the_lot() -> None:
    result = run_fifo([trade("b1", "buy", "10", "100", "5")])
    (lot,) = result.open_lots
    assert lot.remaining_cost == D("1005")
    assert lot.cost_per_unit == D("100.5")
    assert lot.original_quantity == lot.remaining_quantity == D("10")
    assert result.cost_basis == D("1005")
    assert result.average_cost == D("100.5")
    assert result.realizations == ()
    assert result.realized_pnl == 0


def test_one_sell_consumes_a_whole_lot_and_part_of_the_next() -> None:
    result = run_fifo(
        [
            trade("b1", "buy", "10", "100", "5", day=1),
            trade("b2", "buy", "5", "110", "0", day=2),
            trade("s1", "sell", "12", "120", "3", day=3),
        ]
    )
    (sale,) = result.realizations
    assert sale.sell_id == "s1"
    assert sale.proceeds == D("1437")  # 12 * 120 - 3
    assert [(c.buy_id, c.quantity, c.cost) for c in sale.consumed] == [
        ("b1", D("10"), D("1005")),
        ("b2", D("2"), D("220")),
    ]
    assert sale.cost == D("1225")
    assert sale.realized_pnl == D("212")
    (lot,) = result.open_lots
    assert (lot.buy_id, lot.remaining_quantity, lot.remaining_cost) == ("b2", D("3"), D("330"))
    assert result.quantity == D("3")
    assert result.cost_basis == D("330")
    assert result.average_cost == D("110")
    assert result.realized_pnl == D("212")


def test_exact_partial_cost_keeps_its_natural_form() -> None:
    result = run_fifo([trade("b", "buy", "5", "110"), trade("s", "sell", "2", "1", day=2)])
    # 220, not 220.0000000000000000000000000000000000000000
    assert str(result.realizations[0].cost) == "220"
    assert str(result.cost_basis) == "330"


def test_partial_lots_split_a_non_terminating_cost_without_losing_a_digit() -> None:
    buy = trade("b", "buy", "3", "100", "1")  # cost 301 for 3 units
    first = trade("s1", "sell", "1", "150", "0", day=2)
    second = trade("s2", "sell", "2", "150", "0", day=3)

    after_first = run_fifo([buy, first])
    piece = after_first.realizations[0].cost
    assert piece == D("100.3333333333333333333333333333333333333333")  # rounded at 1e-40
    assert after_first.cost_basis == D("200.6666666666666666666666666666666666666667")
    assert piece + after_first.cost_basis == D("301")

    after_both = run_fifo([buy, first, second])
    last = after_both.realizations[1]
    assert last.cost == D("200.6666666666666666666666666666666666666667")  # all that was left
    assert sum(r.cost for r in after_both.realizations) == D("301")
    assert after_both.open_lots == ()
    assert after_both.quantity == 0
    assert after_both.average_cost is None


def test_sell_fee_reduces_proceeds_and_zero_price_buy_is_allowed() -> None:
    result = run_fifo(
        [
            trade("gift", "buy", "4", "0", "0"),
            trade("s", "sell", "1", "50", "2.5", day=2),
        ]
    )
    (sale,) = result.realizations
    assert sale.proceeds == D("47.5")
    assert sale.cost == 0
    assert sale.realized_pnl == D("47.5")


def test_sell_taking_exactly_a_lot_uses_its_whole_cost() -> None:
    result = run_fifo(
        [
            trade("b1", "buy", "1.5", "10", "0.01"),
            trade("b2", "buy", "2", "20"),
            trade("s", "sell", "1.5", "30", day=2),
        ]
    )
    assert [(c.buy_id, c.quantity, c.cost) for c in result.realizations[0].consumed] == [
        ("b1", D("1.5"), D("15.01"))
    ]
    assert [lot.buy_id for lot in result.open_lots] == ["b2"]


def test_empty_history_has_nothing() -> None:
    result = run_fifo([])
    assert result == FifoResult((), (), D(0), D(0), None, D(0))


def test_oversell_names_the_sell_and_the_shortfall() -> None:
    history = [
        trade("b", "buy", "7.5", day=1),
        trade("s-big", "sell", "10", day=61),
    ]
    with pytest.raises(OversellError) as caught:
        run_fifo(history)
    err = caught.value
    assert str(err) == "sell on 2024-03-01 exceeds holdings by 2.5 (held 7.5, selling 10)"
    assert (err.sell_id, err.requested, err.held, err.shortfall) == (
        "s-big",
        D(10),
        D("7.5"),
        D("2.5"),
    )
    assert err.day == DAY0 + timedelta(days=60)
    assert isinstance(err, ValueError)


def test_oversell_after_earlier_sales_counts_what_is_left() -> None:
    history = [
        trade("b1", "buy", "5", day=1),
        trade("s1", "sell", "3", day=2),
        trade("b2", "buy", "1", day=3),
        trade("s2", "sell", "4", day=4),
    ]
    for check in (run_fifo, check_history, quantity_timeline):
        with pytest.raises(OversellError) as caught:
            check(history)
        assert (caught.value.sell_id, caught.value.held, caught.value.shortfall) == (
            "s2",
            D(3),
            D(1),
        )


def test_oversell_error_survives_pickling() -> None:
    err = OversellError("s", DAY0, D("10"), D("7.5"))
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.sell_id, copy.day, copy.requested, copy.held, copy.shortfall) == (
        "s",
        DAY0,
        D("10"),
        D("7.5"),
        D("2.5"),
    )
    assert str(copy) == str(err)


def test_same_day_and_time_uses_entry_order_not_input_order() -> None:
    sell_first = [trade("b", "buy", "1", entry=2), trade("s", "sell", "1", entry=1)]
    with pytest.raises(OversellError):
        run_fifo(sell_first)
    buy_first = [trade("s", "sell", "1", entry=2), trade("b", "buy", "1", entry=1)]
    assert run_fifo(buy_first).quantity == 0
    assert [t.id for t in order_trades(buy_first)] == ["b", "s"]


def test_a_date_only_trade_counts_after_every_timed_trade_of_its_day() -> None:
    # The sell was entered first and has no time; the buy has one: the buy comes first.
    sell = trade("s", "sell", "10", price="110", entry=1)
    buy = trade("b", "buy", "10", price="100", entry=2, time_of_day=time(23, 59, 59, 999999))
    assert [t.id for t in order_trades([sell, buy])] == ["b", "s"]
    assert run_fifo([sell, buy]).realized_pnl == D(100)


def test_times_of_day_order_a_day_before_entry_order() -> None:
    late = trade("late", "buy", "1", entry=1, time_of_day=time(15, 30))
    early = trade("early", "buy", "1", entry=2, time_of_day=time(9))
    undated = trade("undated", "buy", "1", entry=0)
    next_day = trade("next", "buy", "1", day=2, entry=-1, time_of_day=time(0))
    ordered = order_trades([next_day, undated, late, early])
    assert [t.id for t in ordered] == ["early", "late", "undated", "next"]


def test_quantity_timeline_lists_holdings_after_each_trade() -> None:
    history = [
        trade("s", "sell", "2", day=3),
        trade("b1", "buy", "5", day=1),
        trade("b2", "buy", "0.25", day=2),
    ]
    assert [(t.id, held) for t, held in quantity_timeline(history)] == [
        ("b1", D("5")),
        ("b2", D("5.25")),
        ("s", D("3.25")),
    ]
    check_history(history)  # no error


def test_fast_built_records_equal_normally_built_ones() -> None:
    result = run_fifo([trade("b", "buy", "2", "10", "1"), trade("s", "sell", "1", "12", day=2)])
    sale = result.realizations[0]
    consumption = LotConsumption("b", DAY0, D(1), D("10.5"))
    assert sale.consumed == (consumption,)
    expected = Realization(
        "s", DAY0 + timedelta(days=1), D(1), D(12), D("10.5"), D("1.5"), (consumption,)
    )
    assert sale == expected
    assert hash(sale) == hash(Realization(*(getattr(sale, f) for f in sale.__slots__)))
    with pytest.raises(FrozenInstanceError):
        sale.cost = D(0)  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        sale.consumed[0].cost = D(0)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "transfer"),
        ("quantity", D(0)),
        ("quantity", D("-1")),
        ("quantity", D("NaN")),
        ("quantity", D("Infinity")),
        ("quantity", 1.5),
        ("quantity", D("1E+15")),
        ("quantity", D("0.0000000000000000001")),  # 19 places
        ("price_per_unit", D("-0.01")),
        ("fee", D("-1")),
        ("fee", D("sNaN")),
        ("day", datetime(2024, 1, 1)),  # an instant, not a calendar day
        ("day", "2024-01-01"),
        ("time_of_day", time(10, tzinfo=UTC)),  # wall-clock time carries no zone
        ("entry", "1"),
        ("entry", True),
    ],
)
def test_invalid_trades_are_refused(field: str, value: object) -> None:
    fields: dict[str, object] = {
        "id": "t",
        "kind": "buy",
        "quantity": D(1),
        "price_per_unit": D(1),
        "fee": D(0),
        "day": DAY0,
        "entry": 0,
    }
    fields[field] = value
    with pytest.raises(ValueError, match=field):
        Trade(**fields)  # type: ignore[arg-type]


def test_trailing_zeros_beyond_eighteen_places_are_not_extra_places() -> None:
    trade("t", "buy", "1.00000000000000000000000", price="999999999999999.999999999999999999")


# --- generated histories ------------------------------------------------------------------


# Times of day a generated trade takes, in order; None (date only) is the end of a day.
TIMES: tuple[time | None, ...] = (time(0), time(9), time(9, 0, 0, 1), time(15, 30), None)


@st.composite
def amounts(draw: st.DrawFn, max_places: int, below: int) -> Decimal:
    places = draw(st.integers(0, max_places))
    return exact(draw(st.integers(0, below * 10**places - 1)), places)


def exact(units: int, places: int) -> Decimal:
    """units * 10**-places, built from text so that no 28-digit context can round it."""
    return D(f"{units}E-{places}")


@st.composite
def histories(
    draw: st.DrawFn, max_places: int = 8, max_digits: int = 6, max_price: int = 10**6
) -> list[Trade]:
    """A valid history in the order of trades: many trades share a day (timed or not) and
    sells never oversell.

    Amounts are integers of 10**-places units so the draw is exact and held is known.
    """
    places = draw(st.integers(0, max_places))
    max_units = 10 ** (max_digits + places) - 1  # quantities stay below 10**max_digits
    n = draw(st.integers(0, 30))
    trades: list[Trade] = []
    held_units = 0
    day = 0
    slot = 0
    for i in range(n):
        step = draw(st.sampled_from([0, 0, 1, 30]))  # many trades share a day
        day += step
        # Times of day never go back within a day; a date-only trade (None) ends its day.
        slot = draw(st.integers(slot if step == 0 else 0, len(TIMES) - 1))
        if held_units and draw(st.booleans()):
            units = draw(st.integers(1, min(held_units, max_units)))
            held_units -= units
            kind: TradeKind = "sell"
        else:
            units = draw(st.integers(1, max_units))
            held_units += units
            kind = "buy"
        price = draw(amounts(max_places, max_price))
        fee = draw(amounts(max_places, max_price))
        on = DAY0 + timedelta(days=day)
        # Entries step by 10 so that tests can slip a trade between two others.
        quantity = exact(units, places)
        trades.append(Trade(f"t{i}", kind, quantity, price, fee, on, 10 * i, TIMES[slot]))
    return trades


extreme_histories = histories(max_places=18, max_digits=15, max_price=10**15)


def shuffled(trades: list[Trade], seed: int) -> list[Trade]:
    copy = list(trades)
    random.Random(seed).shuffle(copy)
    return copy


def buy_cost(t: Trade) -> Decimal:
    return t.quantity * t.price_per_unit + t.fee


def check_invariants(history: list[Trade], result: FifoResult) -> None:
    with decimal.localcontext(EXACT):
        buys = [t for t in history if t.kind == "buy"]
        sells = [t for t in history if t.kind == "sell"]
        consumptions = [c for r in result.realizations for c in r.consumed]

        # Quantity conserved.
        bought = sum((t.quantity for t in buys), D(0))
        sold = sum((t.quantity for t in sells), D(0))
        assert bought - sold == result.quantity
        assert sum((lot.remaining_quantity for lot in result.open_lots), D(0)) == result.quantity

        # Cost conserved, to the last digit.
        total_cost = sum((buy_cost(t) for t in buys), D(0))
        consumed_cost = sum((c.cost for c in consumptions), D(0))
        assert sum((lot.remaining_cost for lot in result.open_lots), D(0)) == result.cost_basis
        assert total_cost == result.cost_basis + consumed_cost

        # Each realisation adds up; realised P&L = proceeds - cost of what was sold, and
        # that cost plus the remaining cost basis is everything ever paid.
        by_id = {t.id: t for t in history}
        for r in result.realizations:
            sell = by_id[r.sell_id]
            assert r.quantity == sell.quantity == sum((c.quantity for c in r.consumed), D(0))
            assert r.proceeds == sell.quantity * sell.price_per_unit - sell.fee
            assert r.cost == sum((c.cost for c in r.consumed), D(0))
            assert r.realized_pnl == r.proceeds - r.cost
        proceeds = sum((r.proceeds for r in result.realizations), D(0))
        assert result.realized_pnl == sum((r.realized_pnl for r in result.realizations), D(0))
        assert proceeds - result.realized_pnl == consumed_cost
        assert consumed_cost + result.cost_basis == total_cost

    # FIFO: lots are consumed in buy order, only the oldest open lot can be partly used.
    position = {t.id: i for i, t in enumerate(buys)}
    consumed_order = [position[c.buy_id] for c in consumptions]
    assert consumed_order == sorted(consumed_order)
    open_order = [position[lot.buy_id] for lot in result.open_lots]
    assert open_order == list(range(len(buys) - len(open_order), len(buys)))
    for lot in result.open_lots[1:]:
        assert lot.remaining_quantity == lot.original_quantity

    # Each piece costs its share of its lot, within the 1e-40 rounding of partial pieces.
    buy_by_id = {t.id: t for t in buys}
    with decimal.localcontext(ENGINE_CONTEXT):
        for c in consumptions:
            b = buy_by_id[c.buy_id]
            assert abs(c.cost - buy_cost(b) * c.quantity / b.quantity) <= D("1E-38")


@given(histories(), st.integers())
def test_fifo_invariants_hold_for_any_valid_history(history: list[Trade], seed: int) -> None:
    result = run_fifo(shuffled(history, seed))
    check_invariants(history, result)


@settings(max_examples=60)
@given(extreme_histories, st.integers())
def test_fifo_stays_exact_at_the_input_bounds(history: list[Trade], seed: int) -> None:
    check_invariants(history, run_fifo(shuffled(history, seed)))


@given(histories(), st.integers())
def test_order_does_not_depend_on_input_order(history: list[Trade], seed: int) -> None:
    mixed = shuffled(history, seed)
    # `history` was generated in the order of trades, independently of the code under test.
    assert order_trades(mixed) == history
    assert run_fifo(mixed) == run_fifo(history)


@given(histories())
def test_valid_history_never_raises_and_timeline_matches(history: list[Trade]) -> None:
    check_history(history)
    held = D(0)
    expected = []
    for t in history:
        held = held + t.quantity if t.kind == "buy" else held - t.quantity
        expected.append((t, held))
    assert quantity_timeline(history) == expected
    assert run_fifo(history).quantity == (expected[-1][1] if expected else 0)


@given(histories(), st.data())
def test_oversell_raises_for_the_right_sell_and_shortfall(
    history: list[Trade], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(history)))
    held = D(0)
    for t in history[:cut]:
        held = held + t.quantity if t.kind == "buy" else held - t.quantity
    excess = data.draw(st.decimals(D("0.0001"), 1000, places=4))
    # Same day and time as the previous trade, entered just after it: lands exactly at `cut`
    # (or first of all, at midnight of the first day).
    on, at = (history[cut - 1].day, history[cut - 1].time_of_day) if cut else (DAY0, time(0))
    bad = Trade("bad", "sell", held + excess, D(1), D(0), on, 10 * cut - 5, at)
    mixed = shuffled([*history, bad], data.draw(st.integers()))
    for check in (run_fifo, check_history, quantity_timeline):
        with pytest.raises(OversellError) as caught:
            check(mixed)
        err = caught.value
        assert (err.sell_id, err.day, err.held, err.requested) == ("bad", on, held, held + excess)
        assert err.shortfall == excess


def test_run_fifo_restores_the_collector_state_even_on_error() -> None:
    assert gc.isenabled()
    run_fifo([trade("b", "buy", "1")])
    assert gc.isenabled()
    with pytest.raises(OversellError):
        run_fifo([trade("s", "sell", "1")])
    assert gc.isenabled()
    gc.disable()
    try:
        run_fifo([trade("b", "buy", "1")])
        assert not gc.isenabled()  # a caller's choice is left alone
    finally:
        gc.enable()
