"""Time- and money-weighted returns, public-market equivalent and real return."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.history import HistoryAsset, HistoryPoint, build_history
from portfolio_tracker.engine.lots import Trade
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.prices import MissingPriceError, PriceSeries
from portfolio_tracker.engine.returns import (
    external_flows,
    public_market_equivalent,
    real_return,
    twr,
    twr_series,
    xirr,
    xirr_cashflows,
    xnpv,
)

D = Decimal
JAN1 = date(2024, 1, 1)
NO_RATES = RateTable([])


def point(day: int, value: str, flow: str = "0") -> HistoryPoint:
    return HistoryPoint(JAN1 + timedelta(days=day), D(value), D(0), D(flow), 0)


def buy(seq: int, qty: str, price: str, day: date) -> Trade:
    return Trade(f"t{seq}", "buy", D(qty), D(price), D(0), day, seq)


# --- TWR -----------------------------------------------------------------------------------


def test_twr_chains_daily_returns_with_inflows_at_the_start_of_the_day() -> None:
    points = [point(0, "100"), point(1, "110"), point(2, "220", flow="100")]
    # day 1: 110/100; day 2: 220 / (110 + 100)
    assert twr_series(points)[1] == D("0.1")
    with localcontext(ENGINE_CONTEXT):
        assert abs(twr(points) - (D("1.1") * D(220) / D(210) - 1)) < D("1e-70")


def test_twr_counts_outflows_at_the_end_of_the_day() -> None:
    # Everything sold above yesterday's close: the day's return is proceeds / value - 1.
    points = [point(0, "100"), point(1, "0", flow="-105"), point(2, "0")]
    assert twr(points) == D("0.05")


def test_twr_starts_a_new_chain_after_a_zero_value_period() -> None:
    points = [
        point(0, "100"),
        point(1, "0", flow="-100"),
        point(2, "0"),
        point(3, "50", flow="50"),
        point(4, "55"),
    ]
    assert twr_series(points) == [0, 0, 0, 0, D("0.1")]


def test_twr_of_nothing_is_zero() -> None:
    assert twr([]) == 0
    assert twr([point(0, "0")]) == 0


@settings(max_examples=50)
@given(
    st.lists(
        st.decimals(min_value=D("0.01"), max_value=D("1000"), places=2), min_size=2, max_size=40
    ),
    st.decimals(min_value=D("0.001"), max_value=D("100"), places=3),
)
def test_twr_without_flows_equals_the_price_return(closes: list[Decimal], qty: Decimal) -> None:
    days = [JAN1 + timedelta(days=i) for i in range(len(closes))]
    series = PriceSeries.from_points(zip(days, closes, strict=True), "TRY")
    asset = HistoryAsset("a", "TRY", [buy(1, str(qty), "5", date(2023, 12, 1))], series)
    points = build_history([asset], NO_RATES, "TRY", days[0], days[-1]).points
    with localcontext(ENGINE_CONTEXT):
        price_return = closes[-1] / closes[0] - 1
        assert abs(twr(points) - price_return) <= D("1e-60")


# --- XIRR ----------------------------------------------------------------------------------


def test_xirr_of_one_year_ten_percent() -> None:
    flows = [(date(2023, 1, 1), D("-1000")), (date(2024, 1, 1), D("1100"))]
    rate = xirr(flows)
    assert rate is not None and abs(rate - D("0.1")) < D("1e-30")


def test_xirr_is_none_without_a_sign_change() -> None:
    assert xirr([(JAN1, D("-1")), (date(2024, 2, 1), D("-2"))]) is None
    assert xirr([]) is None
    assert xirr([(JAN1, D("-1")), (JAN1, D("1"))]) is None  # nets to nothing


def test_xirr_handles_a_total_loss_and_a_huge_short_gain() -> None:
    loss = xirr([(JAN1, D("-1000")), (date(2025, 1, 1), D("0.01"))])
    assert loss is not None and -1 < loss < D("-0.99")
    gain = xirr([(JAN1, D("-100")), (date(2024, 1, 11), D("200"))])
    assert gain is not None and gain > D("1e10")


flow_amounts = st.decimals(min_value=D("-1e9"), max_value=D("1e9"), places=2).filter(bool)


@given(st.lists(st.tuples(st.integers(0, 3650), flow_amounts), min_size=2, max_size=30))
def test_xirr_solves_its_own_equation(raw: list[tuple[int, Decimal]]) -> None:
    flows = [(JAN1 + timedelta(days=d), cf) for d, cf in raw]
    rate = xirr(flows)
    if rate is None:
        return
    # Relative to the flows as discounted at the rate: near -100 % the terms dwarf the flows
    # and that, not the flows, is the scale of the sum's rounding. For the usual rates
    # (r >= -50 % here) it is also checked against the undiscounted flows.
    with localcontext(ENGINE_CONTEXT):
        first = min(d for d, _ in flows)
        discounted = sum(abs(cf) / (1 + rate) ** (D((d - first).days) / 365) for d, cf in flows)
    residual = abs(xnpv(rate, flows))
    assert residual <= D("1e-9") * discounted
    if rate >= D("-0.5"):
        assert residual <= D("1e-9") * sum(abs(cf) for _, cf in flows)


@given(st.lists(st.tuples(st.integers(1, 3650), flow_amounts), min_size=1, max_size=30))
def test_xirr_finds_a_root_whenever_the_flows_start_negative_and_end_positive(
    raw: list[tuple[int, Decimal]],
) -> None:
    """One sign change (Descartes) means exactly one root above -100 %: it must be found
    unless it lies beyond the search range."""
    amounts = sorted((abs(cf) for _, cf in raw))
    flows = [(JAN1, D("-1000"))] + [
        (JAN1 + timedelta(days=d), a) for (d, _), a in zip(raw, amounts, strict=True)
    ]
    total_in = sum(a for a in amounts)
    assume(D("0.001") < total_in / 1000 < 1000)
    # Inside the search range (|ln(1 + r)| <= 82) whenever no money comes back too soon.
    assume(min(d for d, _ in raw) >= 60)
    assert xirr(flows) is not None


def test_xirr_cashflows_turn_a_history_into_investor_flows() -> None:
    points = [point(0, "100"), point(1, "150", flow="40"), point(2, "160")]
    assert external_flows(points) == [(JAN1, D(100)), (date(2024, 1, 2), D(40))]
    assert xirr_cashflows(points) == [
        (JAN1, D(-100)),
        (date(2024, 1, 2), D(-40)),
        (date(2024, 1, 3), D(160)),
    ]


# --- PME and real return ---------------------------------------------------------------------


def test_pme_replays_flows_into_the_benchmark() -> None:
    usdtry = PriceSeries.from_points(
        [(JAN1, D("30")), (date(2024, 7, 1), D("33")), (date(2025, 1, 1), D("36"))], "TRY"
    )
    flows = [(JAN1, D("3000")), (date(2024, 7, 1), D("3300")), (date(2024, 12, 1), D("-330"))]
    result = public_market_equivalent(flows, usdtry, date(2025, 1, 1))
    # 100 USD + 100 USD - 10 USD = 190 USD, worth 190 * 36 TRY at the end.
    assert result.value == D("6840")
    assert result.net_invested == D("5970")
    assert result.gain == D("870")
    with localcontext(ENGINE_CONTEXT):
        assert result.simple_return == D("870") / D("5970")
    assert result.irr is not None
    cashflows = [(d, -a) for d, a in flows] + [(date(2025, 1, 1), result.value)]
    assert abs(xnpv(result.irr, cashflows)) < D("1e-9") * 20000


def test_pme_on_a_flat_benchmark_is_worth_what_was_put_in() -> None:
    flat = PriceSeries.from_points([(JAN1, D("100"))], "TRY")
    result = public_market_equivalent(
        [(JAN1, D("50")), (date(2024, 3, 1), D("25"))], flat, date(2025, 1, 1)
    )
    assert result.value == D("75") and result.gain == 0
    assert result.irr is not None and abs(result.irr) < D("1e-20")


def test_pme_needs_a_benchmark_level_for_every_flow() -> None:
    late = PriceSeries.from_points([(date(2024, 6, 1), D("1"))], "TRY")
    with pytest.raises(MissingPriceError):
        public_market_equivalent([(JAN1, D("1"))], late, date(2025, 1, 1))
    nothing = public_market_equivalent([(JAN1, D("0"))], late, date(2025, 1, 1))
    assert nothing.value == 0 and nothing.irr is None


def test_a_history_starting_from_nothing_has_no_opening_flow() -> None:
    points = [point(0, "0"), point(1, "50", flow="50")]
    assert external_flows(points) == [(date(2024, 1, 2), D(50))]


def test_real_return_deflates_by_cpi() -> None:
    # 80 % nominal while prices rose 50 %: 1.8 / 1.5 - 1 = 20 % real.
    assert real_return(D("0.8"), D("100"), D("150")) == D("0.2")
    with pytest.raises(ValueError):
        real_return(D("0.1"), D("0"), D("1"))


@settings(max_examples=50)
@given(
    st.lists(st.decimals(min_value=D("1"), max_value=D("1000"), places=2), min_size=3, max_size=30),
    st.lists(
        st.tuples(st.integers(0, 29), st.decimals(min_value=D("0.1"), max_value=D("10"), places=1)),
        min_size=1,
        max_size=10,
    ),
)
def test_pme_against_the_assets_own_prices_reproduces_the_portfolio(
    closes: list[Decimal], buys: list[tuple[int, Decimal]]
) -> None:
    """Buying the benchmark itself, at its closes and without fees, the PME value is exactly
    the portfolio's value and the PME IRR its XIRR."""
    days = [JAN1 + timedelta(days=i) for i in range(len(closes))]
    series = PriceSeries.from_points(zip(days, closes, strict=True), "TRY")
    trades = []
    for seq, (offset, qty) in enumerate(sorted(buys)):
        day = days[min(offset, len(days) - 1)]
        trades.append(buy(seq, str(qty), str(closes[days.index(day)]), day))
    asset = HistoryAsset("a", "TRY", trades, series)
    points = build_history([asset], NO_RATES, "TRY", days[0], days[-1]).points
    result = public_market_equivalent(external_flows(points), series, days[-1])
    assert result.value == points[-1].market_value
    assert result.irr == xirr(xirr_cashflows(points))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3650), flow_amounts), min_size=2, max_size=40))
def test_xirr_is_polished_to_its_sixty_digits(raw: list[tuple[int, Decimal]]) -> None:
    """Brent in floats, then Newton at 60 digits until a step is below 1e-30: the root is at
    the precision, far beyond the 8 places an answer shows."""
    flows = [(JAN1 + timedelta(days=d), cf) for d, cf in raw]
    rate = xirr(flows)
    if rate is None or rate < D("-0.5") or rate > 10:
        return
    with localcontext(ENGINE_CONTEXT):
        first = min(d for d, _ in flows)
        discounted = sum(abs(cf) / (1 + rate) ** (D((d - first).days) / 365) for d, cf in flows)
    assert abs(xnpv(rate, flows)) <= D("1e-50") * discounted
