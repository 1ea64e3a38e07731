"""Prices, holdings, the portfolio summary and the value history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.history import (
    Exclusion,
    HistoryAsset,
    build_history,
    period_end_indices,
    sample_points,
)
from portfolio_tracker.engine.lots import Trade, TradeKind, run_fifo
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.prices import PriceQuote, PriceSeries
from portfolio_tracker.engine.valuation import AssetType, HoldingInput, summarize_portfolio

D = Decimal
JAN1 = date(2024, 1, 1)


def trade(seq: int, kind: TradeKind, qty: str, price: str, day: date, fee: str = "0") -> Trade:
    return Trade(f"t{seq}", kind, D(qty), D(price), D(fee), day, seq)


def holding(
    trades: Sequence[Trade],
    quote: PriceQuote | None,
    currency: str = "TRY",
    asset_type: AssetType = "stock",
    name: str = "A",
    previous: PriceQuote | None = None,
) -> HoldingInput:
    return HoldingInput(
        name, name, asset_type, currency, run_fifo(trades), quote, previous, tuple(trades)
    )


# --- PriceSeries -------------------------------------------------------------------------


def test_price_on_takes_the_last_close_on_or_before_the_date() -> None:
    series = PriceSeries.from_points(
        [(date(2024, 1, 3), D("11")), (JAN1, D("10"))], "usd", name="AAPL"
    )
    assert series.price_on(date(2023, 12, 31)) is None
    assert series.price_on(date(2024, 1, 2)) == PriceQuote(D("10"), JAN1, "USD")
    quote = series.price_on(date(2024, 1, 9))
    assert (
        quote is not None and quote.price == D("11") and quote.staleness_days(date(2024, 1, 9)) == 6
    )


def test_a_repeated_date_keeps_the_last_close_and_unsorted_input_is_sorted() -> None:
    series = PriceSeries.from_points(
        [(date(2024, 1, 2), D("5")), (JAN1, D("1")), (JAN1, D("2"))], "TRY"
    )
    assert series.dates == (JAN1, date(2024, 1, 2)) and series.closes == (D("2"), D("5"))
    with pytest.raises(ValueError):
        PriceSeries("TRY", (date(2024, 1, 2), JAN1), (D(1), D(2)))


def test_closes_on_walks_sorted_dates_once() -> None:
    series = PriceSeries.from_points([(JAN1, D("10")), (date(2024, 1, 3), D("11"))], "TRY")
    days = [date(2023, 12, 31) + timedelta(days=i) for i in range(5)]
    assert series.closes_on(days) == [None, D("10"), D("10"), D("11"), D("11")]


# --- summary -------------------------------------------------------------------------------

USDTRY = RateTable([(JAN1, "USD", "TRY", D("30")), (date(2024, 6, 1), "USD", "TRY", D("33"))])
TODAY = date(2024, 6, 3)


def test_a_try_holding_is_valued_at_its_last_price() -> None:
    h = holding([trade(1, "buy", "10", "100", JAN1, fee="5")], PriceQuote(D("120"), TODAY, "TRY"))
    s = summarize_portfolio([h], USDTRY, "TRY", TODAY)
    assert s.total_market_value == D("1200")
    assert s.total_cost_basis == D("1005")
    assert s.unrealized_pnl == D("195")
    row = s.holdings[0]
    assert row.weight == 1 and row.staleness_days == 0 and row.attribution is None


def test_a_usd_holding_viewed_in_try_costs_at_the_buy_date_rate() -> None:
    h = holding(
        [trade(1, "buy", "2", "50", JAN1)],
        PriceQuote(D("60"), date(2024, 6, 2), "USD"),
        currency="USD",
    )
    s = summarize_portfolio([h], USDTRY, "TRY", TODAY)
    row = s.holdings[0]
    assert row.market_value == D("2") * D("60") * D("33")
    assert row.cost_basis == D("100") * D("30")
    assert row.staleness_days == 1 and row.fx_as_of == date(2024, 6, 1)
    assert row.attribution is not None
    # price effect: (60 - 50) * 2 * 33 = 660; currency effect: 100 * (33 - 30) = 300
    assert row.attribution.price_effect == D("660")
    assert row.attribution.currency_effect == D("300")
    assert row.unrealized_pnl == D("960")
    assert s.allocation_by_currency[0].key == "USD"


def test_a_holding_without_a_price_is_listed_but_not_counted() -> None:
    priced = holding([trade(1, "buy", "1", "100", JAN1)], PriceQuote(D("100"), TODAY, "TRY"))
    unpriced = holding([trade(2, "buy", "3", "10", JAN1)], None, name="B")
    s = summarize_portfolio([priced, unpriced], USDTRY, "TRY", TODAY)
    row = s.holdings[1]
    assert row.market_value is None and row.weight is None and row.unpriced_reason == "no_price"
    assert row.cost_basis == D("30")
    assert s.total_market_value == D("100") and s.total_cost_basis == D("100")
    assert s.unpriced_count == 1 and s.unpriced_cost_basis == D("30")
    assert [(c.currency, c.amount) for c in s.unpriced_cost_by_currency] == [("TRY", D("30"))]
    assert s.holdings[0].weight == 1


def test_a_holding_without_a_rate_is_listed_as_unpriced() -> None:
    h = holding(
        [trade(1, "buy", "1", "100", JAN1)], PriceQuote(D("100"), TODAY, "EUR"), currency="EUR"
    )
    s = summarize_portfolio([h], USDTRY, "TRY", TODAY)
    assert s.holdings[0].market_value is None
    assert s.holdings[0].unpriced_reason == "no_rate"
    assert s.unpriced_count == 1 and s.total_market_value == 0
    assert s.realized_unconverted_count == 0
    # Its cost is 100 EUR, which cannot be put into TRY: the total says so instead of "0".
    assert s.holdings[0].cost_basis is None and s.unpriced_cost_basis is None
    assert [(c.currency, c.amount) for c in s.unpriced_cost_by_currency] == [("EUR", D("100"))]


def test_a_closed_position_is_worth_zero_and_keeps_its_realised_pnl() -> None:
    h = holding([trade(1, "buy", "1", "100", JAN1), trade(2, "sell", "1", "150", JAN1)], None)
    s = summarize_portfolio([h], USDTRY, "TRY", TODAY)
    assert s.holdings[0].market_value == 0 and s.unpriced_count == 0
    assert s.realized_pnl == D("50") and s.allocation_by_type == ()


def test_realised_pnl_in_base_uses_sell_and_buy_date_rates() -> None:
    h = holding(
        [trade(1, "buy", "2", "10", JAN1), trade(2, "sell", "1", "10", date(2024, 6, 2))],
        PriceQuote(D("10"), TODAY, "USD"),
        currency="USD",
    )
    s = summarize_portfolio([h], USDTRY, "TRY", TODAY)
    assert s.realized_pnl == D("10") * 33 - D("10") * 30
    assert s.holdings[0].realized_pnl == D("30")


def test_day_change_compares_with_yesterdays_value() -> None:
    h = holding(
        [trade(1, "buy", "2", "10", JAN1)],
        PriceQuote(D("12"), TODAY, "TRY"),
        previous=PriceQuote(D("10"), date(2024, 5, 31), "TRY"),
    )
    # First priced today: it enters at today's price, so it moved nothing.
    other = holding([trade(2, "buy", "1", "10", JAN1)], PriceQuote(D("10"), TODAY, "TRY"), name="B")
    s = summarize_portfolio([h, other], USDTRY, "TRY", TODAY)
    assert (s.holdings[0].day_change, s.holdings[0].day_change_pct) == (D("4"), D("0.2"))
    assert s.holdings[1].day_change == 0
    with localcontext(ENGINE_CONTEXT):
        assert s.day_change == D("4") and s.day_change_pct == D("4") / D("30")


def test_money_moved_today_is_not_a_day_change() -> None:
    # Yesterday's close 50, today's price 100, buy 10 @ 100 today (issue 8).
    bought = holding(
        [trade(1, "buy", "10", "100", TODAY)],
        PriceQuote(D("100"), TODAY, "TRY"),
        previous=PriceQuote(D("50"), TODAY - timedelta(days=1), "TRY"),
    )
    s = summarize_portfolio([bought], USDTRY, "TRY", TODAY)
    assert (s.day_change, s.day_change_pct) == (0, 0)
    # Held 4 since JAN1 at yesterday's 50, sold 4 at 60 today with a fee of 1: the sale
    # shows the move to its price, minus its fee, never the value that left.
    sold = holding(
        [trade(1, "buy", "4", "40", JAN1), trade(2, "sell", "4", "60", TODAY, fee="1")],
        PriceQuote(D("60"), TODAY, "TRY", "trade"),
        previous=PriceQuote(D("50"), TODAY - timedelta(days=1), "TRY"),
    )
    row = summarize_portfolio([sold], USDTRY, "TRY", TODAY).holdings[0]
    assert (row.market_value, row.day_change, row.day_change_pct) == (0, D("39"), D("39") / 200)


def test_weights_and_allocations_sum_to_one() -> None:
    rows = [
        holding([trade(1, "buy", "1", "10", JAN1)], PriceQuote(D("10"), TODAY, "TRY"), name="a"),
        holding(
            [trade(2, "buy", "1", "10", JAN1)], PriceQuote(D("3"), TODAY, "USD"), "USD", "fund", "b"
        ),
        holding(
            [trade(3, "buy", "7", "1", JAN1)],
            PriceQuote(D("1.5"), TODAY, "TRY"),
            "TRY",
            "metal",
            "c",
        ),
    ]
    s = summarize_portfolio(rows, USDTRY, "TRY", TODAY)
    with localcontext(ENGINE_CONTEXT):
        assert abs(sum(r.weight or 0 for r in s.holdings) - 1) < D("1e-70")
        assert abs(sum(a.weight for a in s.allocation_by_type) - 1) < D("1e-70")
        assert abs(sum(a.weight for a in s.allocation_by_currency) - 1) < D("1e-70")
    assert [a.key for a in s.allocation_by_type] == ["fund", "metal", "stock"]


# --- invariants ----------------------------------------------------------------------------

quantities = st.decimals(min_value=D("0.001"), max_value=D("1000"), places=3)
prices = st.decimals(min_value=D("0.01"), max_value=D("10000"), places=2)
fees = st.decimals(min_value=D("0"), max_value=D("10"), places=2)
fx_rates = st.decimals(min_value=D("0.5"), max_value=D("50"), places=4)


@st.composite
def histories(draw: st.DrawFn) -> list[Trade]:
    """Buys and sells over 30 days that never sell more than is held."""
    trades: list[Trade] = []
    held = D(0)
    for seq in range(draw(st.integers(1, 12))):
        day = JAN1 + timedelta(days=draw(st.integers(0, 29)))
        day = max(day, trades[-1].day) if trades else day
        if held > 0 and draw(st.booleans()):
            qty = min(draw(quantities), held)
            trades.append(Trade(f"t{seq}", "sell", qty, draw(prices), draw(fees), day, seq))
            held -= qty
        else:
            qty = draw(quantities)
            trades.append(Trade(f"t{seq}", "buy", qty, draw(prices), draw(fees), day, seq))
            held += qty
    return trades


def net_invested_in_base(trades: Sequence[Trade], rates: RateTable, ccy: str, base: str) -> Decimal:
    with localcontext(ENGINE_CONTEXT):
        total = D(0)
        for t in trades:
            fx = rates.rate_on(ccy, base, t.day).rate
            gross = t.quantity * t.price_per_unit
            total += (gross + t.fee) * fx if t.kind == "buy" else (t.fee - gross) * fx
        return total


@given(histories(), prices)
def test_realised_plus_unrealised_is_value_minus_net_invested(
    trades: list[Trade], price: Decimal
) -> None:
    h = holding(trades, PriceQuote(price, TODAY, "TRY"))
    s = summarize_portfolio([h], USDTRY, "TRY", TODAY)
    with localcontext(ENGINE_CONTEXT):
        assert s.realized_pnl + s.unrealized_pnl == (
            s.total_market_value - net_invested_in_base(trades, USDTRY, "TRY", "TRY")
        )


@given(histories(), prices, st.lists(fx_rates, min_size=31, max_size=31))
def test_the_identity_holds_in_base_with_flows_at_their_own_dates_rates(
    trades: list[Trade], price: Decimal, daily_fx: list[Decimal]
) -> None:
    """With cost at historical rates: realised + unrealised = value now - sum of each flow
    converted at its own date's rate. (Exact up to the 80-digit context.)"""
    rates = RateTable((JAN1 + timedelta(days=i), "USD", "TRY", r) for i, r in enumerate(daily_fx))
    h = holding(trades, PriceQuote(price, TODAY, "USD"), currency="USD")
    s = summarize_portfolio([h], rates, "TRY", TODAY)
    with localcontext(ENGINE_CONTEXT):
        lhs = s.realized_pnl + s.unrealized_pnl
        rhs = s.total_market_value - net_invested_in_base(trades, rates, "USD", "TRY")
        assert abs(lhs - rhs) <= D("1e-30")


@given(histories(), prices, st.lists(fx_rates, min_size=31, max_size=31))
def test_currency_attribution_parts_add_up_exactly(
    trades: list[Trade], price: Decimal, daily_fx: list[Decimal]
) -> None:
    rates = RateTable((JAN1 + timedelta(days=i), "USD", "TRY", r) for i, r in enumerate(daily_fx))
    h = holding(trades, PriceQuote(price, TODAY, "USD"), currency="USD")
    row = summarize_portfolio([h], rates, "TRY", TODAY).holdings[0]
    if row.quantity == 0:
        assert row.attribution is None
        return
    assert row.attribution is not None and row.unrealized_pnl is not None
    with localcontext(ENGINE_CONTEXT):
        parts = row.attribution.price_effect + row.attribution.currency_effect
    assert parts == row.attribution.total == row.unrealized_pnl


# --- history -------------------------------------------------------------------------------


def test_history_values_quantities_at_day_end_and_accumulates_flows() -> None:
    trades = [
        trade(1, "buy", "10", "10", date(2023, 12, 30), fee="1"),
        trade(2, "buy", "5", "12", date(2024, 1, 2)),
        trade(3, "sell", "3", "15", date(2024, 1, 3), fee="2"),
    ]
    prices_ = PriceSeries.from_points(
        [(date(2023, 12, 29), D("9")), (date(2024, 1, 2), D("11"))], "TRY"
    )
    points = build_history(
        [HistoryAsset("a", "TRY", trades, prices_)], USDTRY, "TRY", JAN1, date(2024, 1, 4)
    ).points
    assert [p.market_value for p in points] == [D("90"), D("165"), D("132"), D("132")]
    assert [p.net_flow for p in points] == [0, D("60"), D("-43"), 0]
    assert [p.net_invested for p in points] == [D("101"), D("161"), D("118"), D("118")]
    assert all(p.unpriced_count == 0 for p in points)


def test_history_converts_values_daily_and_flows_at_their_dates() -> None:
    rates = RateTable([(JAN1, "USD", "TRY", D("30")), (date(2024, 1, 2), "USD", "TRY", D("31"))])
    trades = [trade(1, "buy", "1", "10", JAN1)]
    series = PriceSeries.from_points([(JAN1, D("10"))], "USD")
    points = build_history(
        [HistoryAsset("a", "USD", trades, series)], rates, "TRY", JAN1, date(2024, 1, 2)
    ).points
    assert [p.market_value for p in points] == [D("300"), D("310")]
    assert [p.net_invested for p in points] == [D("300"), D("300")]


def test_history_counts_holdings_without_price_or_rate() -> None:
    trades = [trade(1, "buy", "1", "10", JAN1)]
    late = PriceSeries.from_points([(date(2024, 1, 2), D("10"))], "TRY")
    eur = PriceSeries.from_points([(JAN1, D("10"))], "EUR")
    assets = [HistoryAsset("a", "TRY", trades, late), HistoryAsset("b", "TRY", trades, eur)]
    points = build_history(assets, USDTRY, "TRY", JAN1, date(2024, 1, 2)).points
    assert [p.unpriced_count for p in points] == [2, 1]
    assert [p.market_value for p in points] == [0, D("10")]


def test_history_adds_up_assets_sharing_a_currency_and_a_day() -> None:
    series = PriceSeries.from_points([(JAN1, D("2"))], "TRY")
    assets = [
        HistoryAsset("a", "TRY", [trade(1, "buy", "1", "2", JAN1)], series),
        HistoryAsset("b", "TRY", [trade(2, "buy", "3", "2", JAN1, fee="1")], series),
    ]
    (point,) = build_history(assets, USDTRY, "TRY", JAN1, JAN1).points
    assert (point.market_value, point.net_flow, point.net_invested) == (D(8), D(9), D(9))


def test_history_leaves_out_an_asset_without_a_rate_and_its_flows() -> None:
    eur_prices = PriceSeries.from_points([(JAN1, D(10))], "EUR")
    eur = HistoryAsset("eur", "EUR", [trade(1, "buy", "1", "10", JAN1)], eur_prices)
    try_prices = PriceSeries.from_points([(JAN1, D(6))], "TRY")
    tl = HistoryAsset("try", "TRY", [trade(2, "buy", "2", "5", JAN1)], try_prices)
    history = build_history([eur, tl], USDTRY, "TRY", JAN1, date(2024, 1, 2))
    assert [(p.market_value, p.net_flow, p.unpriced_count) for p in history.points] == [
        (D(12), D(10), 1),
        (D(12), 0, 1),
    ]
    assert history.excluded == (Exclusion("eur", "no_rate", JAN1, date(2024, 1, 2)),)


def test_weekly_and_monthly_points_are_period_ends_with_summed_flows() -> None:
    trades = [trade(i, "buy", "1", "1", JAN1 + timedelta(days=i)) for i in range(40)]
    series = PriceSeries.from_points([(JAN1, D("1"))], "TRY")
    asset = HistoryAsset("a", "TRY", trades, series)
    end = date(2024, 2, 9)
    daily = build_history([asset], USDTRY, "TRY", JAN1, end).points
    weekly = build_history([asset], USDTRY, "TRY", JAN1, end, interval="week").points
    monthly = sample_points(daily, "month")
    assert [p.on for p in monthly] == [date(2024, 1, 31), end]
    assert [p.net_flow for p in monthly] == [D(31), D(9)]
    assert weekly[0].on == date(2024, 1, 7) and weekly[-1].on == end  # 2024-01-07 is a Sunday
    assert sum(p.net_flow for p in weekly) == sum(p.net_flow for p in daily)
    assert weekly[-1].net_invested == daily[-1].net_invested
    assert period_end_indices([p.on for p in daily], "month") == [30, 39]


def test_an_unknown_interval_is_refused() -> None:
    with pytest.raises(ValueError):
        build_history([], USDTRY, "TRY", JAN1, JAN1, interval="year")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        period_end_indices([], "year")  # type: ignore[arg-type]


JUNE1 = date(2024, 6, 1)


def test_rates_are_taken_on_the_trades_calendar_day() -> None:
    # A trade of 1 June (whatever time, in the user's zone): USD/TRY of 1 June (33) applies.
    late = Trade("t1", "buy", D("1"), D("10"), D("0"), JUNE1, 1, time(0, 30))
    h = holding([late], PriceQuote(D("10"), TODAY, "USD"), currency="USD")
    assert summarize_portfolio([h], USDTRY, "TRY", TODAY).total_cost_basis == D("330")
    series = PriceSeries.from_points([(JAN1, D("10"))], "USD")
    points = build_history(
        [HistoryAsset("a", "USD", [late], series)],
        USDTRY,
        "TRY",
        date(2024, 5, 31),
        date(2024, 6, 1),
    ).points
    assert [p.net_flow for p in points] == [0, D("330")]
    assert [p.market_value for p in points] == [0, D("330")]


def test_a_holding_is_converted_through_a_cross_rate() -> None:
    rates = RateTable([(JAN1, "EUR", "USD", D("1.1")), (JAN1, "USD", "TRY", D("30"))])
    h = holding(
        [trade(1, "buy", "1", "100", JAN1)], PriceQuote(D("110"), JAN1, "EUR"), currency="EUR"
    )
    row = summarize_portfolio([h], rates, "TRY", JAN1).holdings[0]
    assert row.fx_rate == D("33.0") and row.market_value == D("3630")
    assert row.cost_basis == D("3300")
    assert row.attribution is not None and row.attribution.currency_effect == 0


def test_a_coin_bought_in_try_and_priced_from_usd_spot_is_attributed_in_usd() -> None:
    # Bought in TRY, valued from a USD price; viewed in USD: the TRY cost is converted at the
    # buy date, the whole move of the lira against the dollar is the currency effect.
    h = holding(
        [trade(1, "buy", "1", "3000", JAN1)],
        PriceQuote(D("100"), TODAY, "USD"),
        currency="TRY",
        asset_type="metal",
    )
    row = summarize_portfolio([h], USDTRY, "USD", TODAY).holdings[0]
    assert row.market_value == D("100")
    # USD per TRY is the inverse of the published USD/TRY: rounded at the 80th digit.
    tiny = D("1e-70")
    with localcontext(ENGINE_CONTEXT):
        assert row.cost_basis is not None and abs(row.cost_basis - D("100")) < tiny
        assert row.attribution is not None
        currency_effect = D("3000") / D("33") - D("3000") / D("30")
        assert abs(row.attribution.currency_effect - currency_effect) < tiny
        assert abs(row.attribution.price_effect - (D("100") - D("3000") / D("33"))) < tiny
