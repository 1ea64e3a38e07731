"""The columnar merge of price observations is the plain one.

``observed_columns`` (feeds, manual prices and trade prices as parallel columns, with fast
paths: one column, a large column absorbing a few days of others, trade days covered by a
feed skipped, currencies normalised once) must give exactly the series ``observed_series``
gives for the same observations in the same order: the same days, the same closes to the
last digit (also their exponent: ``1.50`` is not ``1.5``), sources, currency and name, and
the same error when a currency code is invalid.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.history import _daily_closes
from portfolio_tracker.engine.lots import Trade
from portfolio_tracker.engine.observations import (
    Observation,
    PriceColumn,
    observed_columns,
    observed_series,
    trade_column,
    trade_observations,
)
from portfolio_tracker.engine.prices import PriceSeries, QuoteSource

D = Decimal
T0 = date(2024, 1, 1)
SOURCES: tuple[QuoteSource, ...] = ("trade", "feed", "manual")

prices = st.builds(
    lambda digits, exp: D(digits).scaleb(exp),
    st.integers(0, 10**8),
    st.integers(-6, 2),
)


def day(i: int) -> date:
    return T0 + timedelta(days=i)


def exact(series: PriceSeries | None) -> object:
    """Everything a series says, closes as their exact text."""
    if series is None:
        return None
    return (
        series.currency,
        series.dates,
        [str(c) for c in series.closes],
        series.name,
        series.sources,
    )


def outcome(fn: object, *args: object) -> object:
    try:
        return exact(fn(*args))  # type: ignore[operator]
    except Exception as error:  # the same error, or the same series
        return (type(error), str(error))


@st.composite
def rate_tables(draw: st.DrawFn) -> RateTable:
    """USD/TRY and EUR/USD rates that start late and have gaps, so some days cannot convert."""
    rows = []
    for base, quote in (("USD", "TRY"), ("EUR", "USD")):
        if draw(st.booleans()):
            first = draw(st.integers(-5, 50))
            for i in range(first, 70, draw(st.integers(1, 9))):
                rows.append((day(i), base, quote, D(30 + i) / 7))
    return RateTable(rows)


@st.composite
def columns(draw: st.DrawFn, codes: tuple[str, ...]) -> PriceColumn:
    source = draw(st.sampled_from(SOURCES))
    shape = draw(st.sampled_from(["daily", "sparse", "random"]))
    if shape == "daily":  # a feed: many days in order, a few gaps
        start = draw(st.integers(-10, 30))
        days = [day(i) for i in range(start, start + draw(st.integers(0, 90)))]
        gaps = draw(st.sets(st.integers(0, 89), max_size=10))
        days = [d for k, d in enumerate(days) if k not in gaps]
    elif shape == "sparse":
        days = sorted({day(i) for i in draw(st.lists(st.integers(-10, 100), max_size=50))})
    else:  # any order, repeats
        days = [day(i) for i in draw(st.lists(st.integers(-10, 100), max_size=12))]
    values = [draw(prices) for _ in days]
    ascending = shape != "random" and draw(st.booleans())
    if draw(st.integers(0, 3)) == 0 and days:  # a currency per day
        currencies = [draw(st.sampled_from(codes)) for _ in days]
        return PriceColumn(source, days, values, "", currencies, ascending)
    return PriceColumn(source, days, values, draw(st.sampled_from(codes)), (), ascending)


CODES = st.sampled_from(
    [("TRY",), ("USD", "TRY"), ("USD", "try", "EUR"), ("TRY", "USD", "EUR"), ("USD", "XX")]
)


@settings(max_examples=400, deadline=None)
@given(st.data(), rate_tables())
def test_observed_columns_is_observed_series_of_the_same_observations(
    data: st.DataObject, rates: RateTable
) -> None:
    codes = data.draw(CODES)
    given_columns = data.draw(st.lists(columns(codes), max_size=5))
    observations = [o for c in given_columns for o in c.observations()]
    expected = outcome(observed_series, observations, rates, "A")
    assert outcome(observed_columns, given_columns, rates, "A") == expected


@settings(max_examples=200, deadline=None)
@given(st.data(), rate_tables())
def test_a_feed_with_trade_and_manual_days_is_merged_like_the_definition(
    data: st.DataObject, rates: RateTable
) -> None:
    """The asset's usual shape: its trades (many days, most shared with the feed), one or two
    feeds covering most days, a few manual prices; in one to three currencies."""
    codes = data.draw(CODES)
    feed_days = [day(i) for i in range(data.draw(st.integers(-5, 20)), 80)]
    if data.draw(st.booleans()):  # gaps (weekends, holidays), or a daily feed
        feed_days = [d for d in feed_days if data.draw(st.integers(0, 9))]
    trade_days = sorted(
        set(data.draw(st.lists(st.sampled_from(feed_days), max_size=40)) if feed_days else [])
        | {day(i) for i in data.draw(st.lists(st.integers(-10, 90), max_size=4))}
    )
    manual_days = sorted({day(i) for i in data.draw(st.lists(st.integers(-10, 90), max_size=3))})
    feed_ccy, trade_ccy, manual_ccy = (data.draw(st.sampled_from(codes)) for _ in range(3))
    cols = [
        PriceColumn("trade", trade_days, [data.draw(prices) for _ in trade_days], trade_ccy),
        PriceColumn("feed", feed_days, [data.draw(prices) for _ in feed_days], feed_ccy, (), True),
    ]
    if data.draw(st.booleans()):  # a second feed of the same series (stooq, then yahoo)
        second = [d for d in feed_days if data.draw(st.integers(0, 5))]
        cols.append(PriceColumn("feed", second, [data.draw(prices) for _ in second], feed_ccy))
    cols.append(
        PriceColumn("manual", manual_days, [data.draw(prices) for _ in manual_days], manual_ccy)
    )
    observations = [o for c in cols for o in c.observations()]
    expected = outcome(observed_series, observations, rates, "A")
    assert outcome(observed_columns, cols, rates, "A") == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 30), prices, st.sampled_from(["TRY", "USD"]), st.sampled_from(SOURCES)
        ),
        max_size=30,
    ),
    rate_tables(),
)
def test_observations_as_columns_merge_like_the_observations(
    raw: list[tuple[int, Decimal, str, QuoteSource]], rates: RateTable
) -> None:
    observations = [Observation(day(i), p, c, s) for i, p, c, s in raw]
    cols = PriceColumn.of_observations(observations)
    assert [o for c in cols for o in c.observations()] == observations
    expected = outcome(observed_series, observations, rates, "")
    assert outcome(observed_columns, cols, rates, "") == expected


def test_trade_observations_are_values_with_the_days_last_price() -> None:
    trades = [
        Trade("a", "buy", D(1), D("10.0"), D(0), T0, 1),
        Trade("b", "buy", D(1), D("0"), D(0), day(1), 2),
        Trade("c", "sell", D(1), D("12.50"), D(0), day(2), 3),
        Trade("d", "buy", D(1), D("12.25"), D(0), day(2), 4),
    ]
    observed = trade_observations(trades, "usd")
    assert observed == [
        Observation(T0, D("10.0"), "USD", "trade"),
        Observation(day(2), D("12.25"), "USD", "trade"),
    ]
    assert str(observed[1].price) == "12.25"
    with pytest.raises(AttributeError):
        observed[0].price = D(1)  # type: ignore[misc]
    column = trade_column(trades, "usd")
    assert [column] == PriceColumn.of_observations(observed)
    assert column.observations() == observed


def test_an_unchecked_series_is_the_checked_one() -> None:
    dates, closes = (T0, day(1)), (D("1.5"), D(2))
    checked = PriceSeries("TRY", dates, closes, "x", ("feed", "trade"))
    assert PriceSeries.unchecked("TRY", dates, closes, "x", ("feed", "trade")) == checked
    with pytest.raises(ValueError, match="strictly ascend"):
        PriceSeries("TRY", (day(1), T0), closes)
    with pytest.raises(ValueError, match="strictly ascend"):
        PriceSeries("TRY", (T0, T0), closes)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-20, 60), max_size=40),
    st.booleans(),
    st.integers(-25, 50),
    st.integers(1, 40),
)
def test_the_close_in_force_each_day_is_the_last_one_on_or_before_it(
    offsets: list[int], daily: bool, start: int, n: int
) -> None:
    """history._daily_closes (a daily series seen from its first and last dates) is
    ``price_on`` day by day, 0 before the first close."""
    if daily and offsets:
        offsets = list(range(min(offsets), min(offsets) + len(offsets)))
    days = sorted({day(i) for i in offsets})
    series = PriceSeries("TRY", tuple(days), tuple(D(k) + D("0.5") for k in range(len(days))))
    closes, first_priced = _daily_closes(series, day(start).toordinal(), n)
    expected = []
    for i in range(n):
        quote = series.price_on(day(start + i))
        expected.append(D(0) if quote is None else quote.price)
    assert closes == expected
    priced = [i for i in range(n) if series.price_on(day(start + i)) is not None]
    assert first_priced == (priced[0] if priced else n)
