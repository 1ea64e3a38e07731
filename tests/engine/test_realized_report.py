"""The realised-gains report's pure parts: pieces per (sell, lot), fee split, conversion at
each trade day's rate, totals; and Türkiye mode (TCMB buying rates, Yİ-ÜFE indexation)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.lots import Trade
from portfolio_tracker.engine.methods import run_lots
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.realized_report import (
    METHODS,
    Piece,
    UnknownMethodError,
    asset_totals,
    pieces_of,
    realizations_of,
    report_rows,
    year_totals,
)
from portfolio_tracker.engine.tax_tr import (
    MAX_FALLBACK_DAYS,
    declaration_deadline,
    month_before,
    tcmb_rate,
    tr_row,
    tr_totals,
)

D = Decimal


def trade(tid: str, kind: str, qty: str, price: str, fee: str, day: date, entry: int = 0) -> Trade:
    return Trade(tid, kind, D(qty), D(price), D(fee), day, entry or int(tid[1:]))  # type: ignore[arg-type]


HISTORY = [
    trade("b1", "buy", "10", "100", "10", date(2023, 3, 1)),  # cost 1010
    trade("b2", "buy", "10", "120", "0", date(2023, 6, 1)),  # cost 1200
    trade("s3", "sell", "15", "150", "30", date(2024, 2, 1)),  # proceeds 2220
    trade("s4", "sell", "2", "90", "0", date(2025, 1, 10)),
]


def test_hand_computed_fifo_example() -> None:
    pieces = pieces_of(realizations_of(HISTORY), 2024)
    # Sell 15 @150, fee 30: 10 from b1 (cost 1010), 5 from b2 (cost 600).
    # Proceeds 2250 - 30 = 2220, split by quantity: 1480 and 740.
    assert [(p.buy_id, p.quantity, p.cost, p.proceeds, p.gain) for p in pieces] == [
        ("b1", D("10"), D("1010"), D("1480"), D("470")),
        ("b2", D("5"), D("600"), D("740"), D("140")),
    ]
    assert {p.sell_day for p in pieces} == {date(2024, 2, 1)}
    assert [p.buy_day for p in pieces] == [date(2023, 3, 1), date(2023, 6, 1)]
    # 2025's sell is another year's; 2023 has none.
    assert [p.sell_id for p in pieces_of(realizations_of(HISTORY), 2025)] == ["s4"]
    assert pieces_of(realizations_of(HISTORY), 2023) == []


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(UnknownMethodError):
        realizations_of(HISTORY, "newest-first-by-moon-phase")


def test_conversion_uses_the_buy_days_rate_for_cost_and_the_sell_days_for_proceeds() -> None:
    rates = RateTable(
        [
            (date(2023, 3, 1), "USD", "TRY", D("19")),
            (date(2023, 6, 1), "USD", "TRY", D("21")),
            (date(2024, 1, 31), "USD", "TRY", D("30")),  # the sell day has none: carried
        ]
    )
    pieces = pieces_of(realizations_of(HISTORY), 2024)
    rows = report_rows("a", "usd", pieces, "TRY", rates)
    first, second = rows
    assert first.cost_rate is not None and first.cost_rate.rate == D("19")
    assert first.proceeds_rate is not None
    assert (first.proceeds_rate.rate, first.proceeds_rate.as_of) == (D("30"), date(2024, 1, 31))
    assert first.cost_converted == D("19190") and first.proceeds_converted == D("44400")
    assert second.cost_converted == D("12600") and second.gain_converted == D("9600")
    totals = year_totals(rows)
    assert (totals.proceeds, totals.cost, totals.gain) == (D("66600"), D("31790"), D("34810"))
    [per_asset] = asset_totals(rows)
    assert (per_asset.quantity, per_asset.proceeds, per_asset.gain) == (D(15), D(2220), D(610))
    assert per_asset.converted == totals


def test_a_missing_rate_leaves_the_figure_and_the_totals_unknown() -> None:
    rates = RateTable([(date(2023, 6, 1), "USD", "TRY", D("21"))])
    rows = report_rows("a", "USD", pieces_of(realizations_of(HISTORY), 2024), "TRY", rates)
    assert rows[0].cost_rate is None and rows[0].cost_converted is None
    assert rows[0].gain_converted is None
    assert rows[1].cost_converted == D("12600")
    assert year_totals(rows).cost is None
    assert year_totals([]).gain == D(0)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # lifo and hifo: the 120 lot first (10 of it), then 5 of the 101 lot.
        ("lifo", [("b2", D("10"), D("1200"), D("1480")), ("b1", D("5"), D("505"), D("740"))]),
        ("hifo", [("b2", D("10"), D("1200"), D("1480")), ("b1", D("5"), D("505"), D("740"))]),
        # average: 2210 / 20 = 110.5 a unit, pieces in lot order at that cost.
        ("average", [("b1", D("10"), D("1105"), D("1480")), ("b2", D("5"), D("552.5"), D("740"))]),
        ("fifo", [("b1", D("10"), D("1010"), D("1480")), ("b2", D("5"), D("600"), D("740"))]),
        ("specific", [("b1", D("10"), D("1010"), D("1480")), ("b2", D("5"), D("600"), D("740"))]),
    ],
)
def test_hand_computed_example_for_each_method(
    method: str, expected: list[tuple[str, Decimal, Decimal, Decimal]]
) -> None:
    pieces = pieces_of(realizations_of(HISTORY, method), 2024)
    assert [(p.buy_id, p.quantity, p.cost, p.proceeds) for p in pieces] == expected


def test_specific_allocations_pick_the_named_lots() -> None:
    chosen = {"s3": [("b2", D("10")), ("b1", D("5"))]}
    pieces = pieces_of(realizations_of(HISTORY, "specific", allocations=chosen), 2024)
    assert [(p.buy_id, p.quantity, p.cost) for p in pieces] == [
        ("b2", D("10"), D("1200")),
        ("b1", D("5"), D("505")),
    ]


@st.composite
def histories(draw: st.DrawFn) -> list[Trade]:
    trades: list[Trade] = []
    held = D(0)
    day = date(2022, 1, 1)
    for i in range(draw(st.integers(1, 25))):
        day += timedelta(days=draw(st.integers(0, 200)))
        qty = D(draw(st.integers(1, 10_000))) / D(draw(st.sampled_from([1, 10, 1000])))
        price = D(draw(st.integers(0, 100_000))) / 100
        fee = D(draw(st.integers(0, 500))) / 100
        if held and draw(st.booleans()):
            qty = min(qty, held)
            trades.append(Trade(f"t{i}", "sell", qty, price, fee, day, i + 1))
            held -= qty
        else:
            trades.append(Trade(f"t{i}", "buy", qty, price, fee, day, i + 1))
            held += qty
    return trades


@settings(max_examples=150, deadline=None)
@given(histories(), st.sampled_from(METHODS))
def test_pieces_add_up_to_each_sell_and_years_partition_the_sells(
    trades: list[Trade], method: str
) -> None:
    """Under every method: each sell's pieces add up to it, and the gains to the engine's."""
    realizations = realizations_of(trades, method)
    everything = pieces_of(realizations)
    years = {r.day.year for r in realizations}
    by_year = [p for y in sorted(years) for p in pieces_of(realizations, y)]
    assert [(p.sell_id, p.buy_id, p.quantity) for p in by_year] == [
        (p.sell_id, p.buy_id, p.quantity) for p in everything
    ]
    with localcontext(ENGINE_CONTEXT):
        for r in realizations:
            own = [p for p in everything if p.sell_id == r.sell_id]
            assert sum((p.quantity for p in own), D(0)) == r.quantity
            assert sum((p.cost for p in own), D(0)) == r.cost
            assert sum((p.proceeds for p in own), D(0)) == r.proceeds
            assert all(p.gain == p.proceeds - p.cost for p in own)
            # The fee is split by quantity: each piece is within 1e-40 of its exact share.
            for p in own:
                assert abs(p.proceeds - r.proceeds * p.quantity / r.quantity) <= D("1E-39")
        total = sum((p.gain for p in everything), D(0))
        assert total == run_lots(trades, method).realized_pnl


@settings(max_examples=100, deadline=None)
@given(histories(), st.integers(1, 50))
def test_same_currency_totals_equal_the_asset_totals(trades: list[Trade], rate: int) -> None:
    rows = report_rows("a", "TRY", pieces_of(realizations_of(trades)), "TRY", RateTable([]))
    totals = year_totals(rows)
    per_asset = asset_totals(rows)
    if not rows:
        assert per_asset == [] and totals.gain == D(0)
        return
    [own] = per_asset
    assert (totals.proceeds, totals.cost, totals.gain) == (own.proceeds, own.cost, own.gain)
    # In another currency at one constant rate, every figure scales by it.
    usd = RateTable([(date(2000, 1, 1), "TRY", "USD", D(rate))])
    converted = year_totals(report_rows("a", "TRY", [r.piece for r in rows], "USD", usd))
    with localcontext(ENGINE_CONTEXT):
        assert converted.gain == own.gain * rate


# --- Türkiye mode ---------------------------------------------------------------------------

USD_TCMB = RateTable(
    [
        (date(2021, 11, 15), "USD", "TRY", D("10")),
        (date(2024, 9, 13), "USD", "TRY", D("34")),  # a Friday
    ]
)


def piece(cost: str, proceeds: str, buy: date, sell: date) -> Piece:
    return Piece("s", "b", buy, sell, D(1), D(cost), D(proceeds), D(proceeds) - D(cost))


def test_the_guides_structure_november_2021_to_september_2024() -> None:
    """Bought in November 2021, sold in September 2024: the October 2021 and August 2024
    index values are used; the cost at the buy day's and the proceeds at the sell day's TCMB
    buying rate."""
    index = {(2021, 10): D("1000"), (2024, 8): D("3000"), (2021, 11): D(1), (2024, 9): D(1)}
    row = tr_row(
        "a", "USD", piece("100", "150", date(2021, 11, 15), date(2024, 9, 13)), USD_TCMB, index
    )
    assert (row.index_buy_month, row.index_sell_month) == ((2021, 10), (2024, 8))
    assert (row.index_buy, row.index_sell, row.ratio) == (D(1000), D(3000), D(3))
    assert row.cost_try == D("1000") and row.proceeds_try == D("5100")
    assert row.indexed and row.indexed_cost_try == D("3000")
    assert row.gain_try == D("2100")
    assert row.missing == ()


@pytest.mark.parametrize(
    ("sell_index", "indexed", "gain"),
    [
        ("109.99", False, D("4100")),  # ratio - 1 = 9.99 %: no indexation
        ("110", True, D("4000")),  # exactly 10 %: indexed
        ("110.01", True, D("3999.9")),
    ],
)
def test_the_ten_percent_threshold(sell_index: str, indexed: bool, gain: Decimal) -> None:
    index = {(2021, 10): D("100"), (2024, 8): D(sell_index)}
    row = tr_row(
        "a", "USD", piece("100", "150", date(2021, 11, 15), date(2024, 9, 13)), USD_TCMB, index
    )
    assert row.indexed is indexed
    assert row.gain_try == gain


def test_indexation_stops_at_zero_and_never_enlarges_a_loss() -> None:
    index = {(2021, 10): D("100"), (2024, 8): D("600")}
    gain_erased = tr_row(
        "a", "USD", piece("100", "150", date(2021, 11, 15), date(2024, 9, 13)), USD_TCMB, index
    )
    assert gain_erased.proceeds_try == D("5100") and gain_erased.indexed_cost_try == D("6000")
    assert gain_erased.gain_try == D(0)
    loss = tr_row(
        "a", "USD", piece("200", "20", date(2021, 11, 15), date(2024, 9, 13)), USD_TCMB, index
    )
    assert loss.gain_try == D("680") - D("2000")  # the unindexed loss


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 10**6),
    st.integers(0, 10**6),
    st.integers(1, 10**4),
    st.integers(1, 10**4),
)
def test_indexed_gain_is_between_zero_and_the_plain_gain(
    cost: int, proceeds: int, buy_index: int, sell_index: int
) -> None:
    index = {(2021, 10): D(buy_index), (2024, 8): D(sell_index)}
    p = piece(str(cost), str(proceeds), date(2021, 11, 15), date(2024, 9, 13))
    row = tr_row("a", "USD", p, USD_TCMB, index)
    assert row.cost_try is not None and row.proceeds_try is not None and row.gain_try is not None
    plain = row.proceeds_try - row.cost_try
    if plain <= 0:
        assert row.gain_try == plain
    else:
        assert 0 <= row.gain_try <= plain
        assert (row.gain_try < plain) == bool(row.indexed)


def test_a_weekend_uses_the_last_bulletin_flagged_and_an_old_one_is_missing() -> None:
    sunday = date(2024, 9, 15)
    rate = tcmb_rate(USD_TCMB, "USD", sunday)
    assert rate is not None and rate.fallback and rate.as_of == date(2024, 9, 13)
    assert rate.rate == D("34")
    assert (
        tcmb_rate(USD_TCMB, "USD", date(2024, 9, 13) + timedelta(days=MAX_FALLBACK_DAYS + 1))
        is None
    )
    assert tcmb_rate(USD_TCMB, "EUR", sunday) is None
    assert tcmb_rate(USD_TCMB, "try", sunday) is not None
    row = tr_row("a", "EUR", piece("1", "2", date(2021, 11, 15), sunday), USD_TCMB, {})
    assert row.gain_try is None and row.cost_try is None
    assert row.missing == (
        "rate EUR/TRY 2021-11-15",
        "rate EUR/TRY 2024-09-15",
        "index yi-ufe 2021-10",
        "index yi-ufe 2024-08",
    )
    assert tr_totals([row]).declared_gain is None
    assert tr_totals([row]).missing == row.missing


def test_losses_offset_gains_within_the_year_and_are_not_carried() -> None:
    index = {(2023, 12): D("100"), (2024, 8): D("101")}
    win = tr_row(
        "a", "TRY", piece("100", "300", date(2024, 1, 5), date(2024, 9, 2)), USD_TCMB, index
    )
    lose = tr_row(
        "a", "TRY", piece("500", "100", date(2024, 1, 5), date(2024, 9, 2)), USD_TCMB, index
    )
    assert tr_totals([win]).declared_gain == D(200)
    both = tr_totals([win, lose])
    assert both.net_gain == D(-200) and both.declared_gain == D(0)
    assert tr_totals([]).declared_gain == D(0)


def test_months_and_deadline() -> None:
    assert month_before(date(2024, 1, 31)) == (2023, 12)
    assert month_before(date(2024, 9, 1)) == (2024, 8)
    assert declaration_deadline(2024) == date(2025, 3, 31)
