"""Valuation gaps (issue 8, sections 2 and 3): trades observe prices, an asset without a price
or rate is left out of values and flows (never valued at 0), day change counts market moves.

Properties: (a) every history point is exactly the value of the holdings that can be valued
that day (no gap counted as zero) and net invested holds their flows; (b) day changes summed
over a range are the change in value minus the net flows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_tracker.engine.fx import MissingRateError, RateTable
from portfolio_tracker.engine.history import Exclusion, HistoryAsset, build_history
from portfolio_tracker.engine.lots import Trade, run_fifo
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.observations import (
    Observation,
    observed_series,
    trade_observations,
    valuable_from,
)
from portfolio_tracker.engine.prices import PriceSeries
from portfolio_tracker.engine.returns import twr, xirr, xirr_cashflows
from portfolio_tracker.engine.valuation import HoldingInput, summarize_portfolio

D = Decimal
JAN1 = date(2024, 1, 1)
NO_RATES = RateTable([])


def buy(seq: int, qty: str, price: str, day: date, fee: str = "0") -> Trade:
    return Trade(f"t{seq}", "buy", D(qty), D(price), D(fee), day, seq)


def sell(seq: int, qty: str, price: str, day: date, fee: str = "0") -> Trade:
    return Trade(f"t{seq}", "sell", D(qty), D(price), D(fee), day, seq)


def feed(points: Sequence[tuple[date, str]], currency: str = "TRY") -> list[Observation]:
    return [Observation(on, D(price), currency, "feed") for on, price in points]


def series_of(
    trades: Sequence[Trade], observations: Sequence[Observation] = (), currency: str = "TRY"
) -> PriceSeries:
    found = observed_series([*trade_observations(trades, currency), *observations], NO_RATES, "A")
    assert found is not None
    return found


# --- observations --------------------------------------------------------------------------


def test_a_trade_observes_its_price_on_its_day_and_the_days_last_trade_wins() -> None:
    trades = [buy(1, "1", "10", JAN1), buy(2, "1", "12", JAN1), sell(3, "1", "0", JAN1)]
    assert trade_observations(trades, "try") == [Observation(JAN1, D(12), "TRY", "trade")]


def test_manual_beats_feed_beats_trade_on_one_day_and_the_latest_day_carries() -> None:
    day2 = date(2024, 1, 2)
    observations = [
        Observation(JAN1, D(1), "TRY", "manual"),
        Observation(JAN1, D(2), "TRY", "feed"),
        Observation(JAN1, D(3), "TRY", "trade"),
        Observation(day2, D(5), "TRY", "trade"),
        Observation(day2, D(4), "TRY", "feed"),
    ]
    series = observed_series(observations, NO_RATES)
    assert series is not None
    assert (series.closes, series.sources) == ((D(1), D(4)), ("manual", "feed"))
    quote = series.price_on(date(2024, 1, 9))
    assert quote is not None and (quote.price, quote.as_of, quote.source) == (D(4), day2, "feed")
    assert observed_series([], NO_RATES) is None


def test_an_observation_in_another_currency_converts_at_its_days_rate_or_is_dropped() -> None:
    rates = RateTable([(date(2024, 1, 2), "USD", "TRY", D(30))])
    series = observed_series(
        [
            Observation(JAN1, D(3000), "TRY", "trade"),  # no rate yet: dropped, not taken at 1
            Observation(date(2024, 1, 2), D(3100), "TRY", "trade"),
            Observation(date(2024, 1, 3), D(100), "USD", "feed"),
        ],
        rates,
    )
    assert series is not None and series.currency == "USD"
    assert series.dates == (date(2024, 1, 2), date(2024, 1, 3))
    with localcontext(ENGINE_CONTEXT):
        assert series.closes[0] == D(3100) / D(30)


def test_an_asset_is_valuable_from_its_first_price_and_rates() -> None:
    rates = RateTable([(date(2024, 1, 5), "USD", "TRY", D(30))])
    series = PriceSeries.from_points([(JAN1, D(1))], "USD")
    assert valuable_from(series, "USD", "TRY", rates) == date(2024, 1, 5)
    assert valuable_from(series, "USD", "USD", rates) == JAN1
    assert valuable_from(series, "EUR", "USD", rates) is None  # its flows cannot convert
    assert valuable_from(None, "TRY", "TRY", rates) is None


# --- history: the examples of issue 8 ------------------------------------------------------


def _returns(history_points: Sequence[object]) -> tuple[Decimal, Decimal | None]:
    points = list(history_points)
    return twr(points), xirr(xirr_cashflows(points))  # type: ignore[arg-type]


def test_a_buy_before_the_first_close_is_valued_at_its_own_price() -> None:
    trades = [buy(1, "10", "100", JAN1)]
    closes = feed([(date(2024, 1, 2), "100"), (date(2025, 1, 1), "110")])
    asset = HistoryAsset("a", "TRY", trades, series_of(trades, closes))
    expected_xirr = D("1.1") ** (D(365) / D(366)) - 1
    for start in (date(2023, 12, 1), JAN1):
        history = build_history([asset], NO_RATES, "TRY", start, date(2025, 1, 1))
        assert history.excluded == ()
        growth, rate = _returns(history.points)
        assert abs(growth - D("0.1")) < D("1e-60")
        assert rate is not None and abs(rate - expected_xirr) < D("1e-12")


def test_a_manual_price_today_values_coins_bought_at_their_trade_price() -> None:
    today = date(2024, 6, 1)
    trades = [buy(1, "2", "4000", date(2024, 1, 2))]
    asset = HistoryAsset(
        "c", "TRY", trades, series_of(trades, [Observation(today, D(10000), "TRY", "manual")])
    )
    points = build_history([asset], NO_RATES, "TRY", date(2024, 1, 2), today).points
    days_held = (today - date(2024, 1, 2)).days
    growth, rate = _returns(points)
    assert growth == D("1.5")
    assert rate is not None
    assert abs(rate - (D("2.5") ** (D(365) / D(days_held)) - 1)) < D("1e-12")


def test_an_asset_without_a_rate_leaves_the_rest_of_the_history_intact() -> None:
    usd_trades = [buy(1, "1", "10", JAN1)]
    usd = HistoryAsset("usd", "USD", usd_trades, series_of(usd_trades, currency="USD"))
    try_trades = [buy(2, "10", "1", JAN1)]
    tl = HistoryAsset("try", "TRY", try_trades, series_of(try_trades, feed([(JAN1, "1.5")])))
    history = build_history([usd, tl], NO_RATES, "TRY", JAN1, date(2024, 1, 3))
    assert [p.market_value for p in history.points] == [D(15)] * 3
    assert [p.net_invested for p in history.points] == [D(10)] * 3
    assert history.excluded == (Exclusion("usd", "no_rate", JAN1, date(2024, 1, 3)),)


def test_an_asset_enters_at_its_value_when_its_first_rate_arrives() -> None:
    rates = RateTable([(date(2024, 1, 3), "USD", "TRY", D(30))])
    trades = [buy(1, "1", "10", JAN1)]
    closes = feed([(date(2024, 1, 3), "11")], "USD")
    asset = HistoryAsset("usd", "USD", trades, series_of(trades, closes, "USD"))
    history = build_history([asset], rates, "TRY", JAN1, date(2024, 1, 4))
    assert [(p.market_value, p.net_flow, p.unpriced_count) for p in history.points] == [
        (0, 0, 1),
        (0, 0, 1),
        (D(330), D(330), 0),  # 1 x 11 USD x 30, entered at that value: no gain from arriving
        (D(330), 0, 0),
    ]
    assert twr(history.points) == 0
    assert history.excluded == (Exclusion("usd", "no_rate", JAN1, date(2024, 1, 2)),)


def test_an_asset_never_priced_is_named_with_no_price() -> None:
    trades = [buy(1, "1", "0", date(2024, 1, 2))]  # a gift observes no price
    asset = HistoryAsset("g", "TRY", trades, PriceSeries.from_points([], "TRY"))
    history = build_history([asset], NO_RATES, "TRY", JAN1, date(2024, 1, 3))
    assert [p.unpriced_count for p in history.points] == [0, 1, 1]
    assert history.excluded == (Exclusion("g", "no_price", date(2024, 1, 2), date(2024, 1, 3)),)


# --- property (a): no gap is counted as zero -----------------------------------------------

quantities = st.decimals(min_value=D("0.001"), max_value=D("1000"), places=3)
prices = st.decimals(min_value=D("0.01"), max_value=D("10000"), places=2)
fees = st.decimals(min_value=D("0"), max_value=D("10"), places=2)


@st.composite
def trade_lists(draw: st.DrawFn, seq0: int = 0) -> list[Trade]:
    """Buys and sells over 30 days that never sell more than is held; some at price 0."""
    trades: list[Trade] = []
    held = D(0)
    day = JAN1 + timedelta(days=draw(st.integers(0, 10)))
    for seq in range(seq0, seq0 + draw(st.integers(1, 8))):
        day += timedelta(days=draw(st.integers(0, 4)))
        price = draw(st.one_of(prices, st.just(D(0))))
        if held > 0 and draw(st.booleans()):
            qty = min(draw(quantities), held)
            trades.append(Trade(f"t{seq}", "sell", qty, price, draw(fees), day, seq))
            held -= qty
        else:
            qty = draw(quantities)
            trades.append(Trade(f"t{seq}", "buy", qty, price, draw(fees), day, seq))
            held += qty
    return trades


@st.composite
def gap_assets(draw: st.DrawFn) -> HistoryAsset:
    """An asset whose feed closes may start late or never, in TRY or USD."""
    currency = draw(st.sampled_from(["USD", "TRY"]))
    trades = draw(trade_lists(draw(st.integers(0, 1000)) * 10))
    first, step = draw(st.integers(-3, 40)), draw(st.integers(1, 5))
    closes = draw(st.lists(prices, max_size=10))
    observations = [
        Observation(JAN1 + timedelta(days=first + step * i), c, currency, "feed")
        for i, c in enumerate(closes)
    ]
    observations += trade_observations(trades, currency)
    series = observed_series(observations, NO_RATES) or PriceSeries(currency, (), ())
    return HistoryAsset(f"{currency}{trades[0].id}", currency, trades, series)


def _valuable(asset: HistoryAsset, rates: RateTable, on: date) -> bool:
    if asset.prices.price_on(on) is None:
        return False
    try:
        rates.rate_on(asset.prices.currency, "TRY", on)
        rates.rate_on(asset.currency, "TRY", on)
    except MissingRateError:
        return False
    return True


def _held(trades: Sequence[Trade], on: date) -> Decimal:
    return sum(
        (t.quantity if t.kind == "buy" else -t.quantity for t in trades if t.day <= on),
        D(0),
    )


def _flow(trades: Sequence[Trade], on: date) -> Decimal:
    return sum(
        (
            t.quantity * t.price_per_unit + t.fee
            if t.kind == "buy"
            else t.fee - t.quantity * t.price_per_unit
            for t in trades
            if t.day == on
        ),
        D(0),
    )


def _value(asset: HistoryAsset, rates: RateTable, on: date, qty: Decimal) -> Decimal:
    quote = asset.prices.require_on(on)
    return qty * quote.price * rates.rate_on(quote.currency, "TRY", on).rate


def _reference_invested(asset: HistoryAsset, rates: RateTable, upto: date) -> Decimal:
    """Flows of the days the asset can be valued, plus its entry at its first such day."""
    total = D(0)
    day = asset.trades[0].day
    entered = False
    while day <= upto:
        if _valuable(asset, rates, day):
            if not entered and day > asset.trades[0].day:
                total += _value(asset, rates, day, _held(asset.trades, day - timedelta(days=1)))
            entered = True
            total += _flow(asset.trades, day) * rates.rate_on(asset.currency, "TRY", day).rate
        day += timedelta(days=1)
    return total


@settings(max_examples=80, deadline=None)
@given(
    st.lists(gap_assets(), min_size=1, max_size=3, unique_by=lambda a: a.asset_id),
    st.integers(-5, 20),
    st.one_of(st.none(), st.integers(-2, 40)),
)
def test_a_point_is_the_value_of_what_can_be_valued_never_a_gap_at_zero(
    assets: list[HistoryAsset], start_offset: int, first_rate: int | None
) -> None:
    start = JAN1 + timedelta(days=start_offset)
    end = JAN1 + timedelta(days=50)
    rates = RateTable(
        []
        if first_rate is None
        else ((JAN1 + timedelta(days=i), "USD", "TRY", D(30) + i) for i in range(first_rate, 60))
    )
    history = build_history(assets, rates, "TRY", start, end)
    with localcontext(ENGINE_CONTEXT):
        for p in history.points:
            value, invested, unpriced = D(0), D(0), 0
            for a in assets:
                qty = _held(a.trades, p.on)
                if _valuable(a, rates, p.on):
                    value += _value(a, rates, p.on, qty)
                elif qty or _flow(a.trades, p.on) or any(t.day == p.on for t in a.trades):
                    unpriced += 1
                invested += _reference_invested(a, rates, p.on)
            assert p.market_value == value
            assert p.unpriced_count == unpriced
            assert abs(p.net_invested - invested) < D("1e-60")
        left_out = {(e.asset_id, d) for e in history.excluded for d in _days(e.start, e.end)}
        for p in history.points:
            for a in assets:
                if (a.asset_id, p.on) in left_out:
                    assert not _valuable(a, rates, p.on)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- property (b): day changes add up to the change in value minus the flows ---------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(gap_assets(), min_size=1, max_size=3, unique_by=lambda a: a.asset_id),
    st.integers(0, 30),
)
def test_day_changes_sum_to_the_change_in_value_minus_net_flows(
    assets: list[HistoryAsset], start_offset: int
) -> None:
    rates = RateTable((JAN1 + timedelta(days=i), "USD", "TRY", D(30) + i) for i in range(-1, 60))
    start = JAN1 + timedelta(days=start_offset)
    end = start + timedelta(days=14)
    history = build_history(assets, rates, "TRY", start - timedelta(days=1), end)
    changes = []
    for p in history.points[1:]:
        holdings = []
        for a in assets:
            so_far = [t for t in a.trades if t.day <= p.on]
            holdings.append(
                HoldingInput(
                    a.asset_id,
                    a.asset_id,
                    "stock",
                    a.currency,
                    run_fifo(so_far),
                    a.prices.price_on(p.on),
                    a.prices.price_on(p.on - timedelta(days=1)),
                    so_far,
                )
            )
        summary = summarize_portfolio(holdings, rates, "TRY", p.on)
        if summary.unpriced_count:
            return  # a holding not valued today has no day change; the history leaves it out
        changes.append(summary.day_change)
    points = history.points
    with localcontext(ENGINE_CONTEXT):
        for change, prev, cur in zip(changes, points[:-1], points[1:], strict=True):
            assert abs(change - (cur.market_value - prev.market_value - cur.net_flow)) < D("1e-50")
        flows = sum((p.net_flow for p in points[1:]), D(0))
        moved = points[-1].market_value - points[0].market_value - flows
        assert abs(sum(changes, D(0)) - moved) < D("1e-50")
