"""Currency conversion by date: direct, inverse and cross rates; missing rates are errors."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_tracker.engine.fx import MissingRateError, RateQuote, RateTable, series_in_currency
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.prices import PriceSeries

D = Decimal
JAN1 = date(2024, 1, 1)


def table() -> RateTable:
    return RateTable(
        [
            (date(2024, 1, 1), "USD", "TRY", D("30")),
            (date(2024, 1, 3), "USD", "TRY", D("31")),
            (date(2024, 1, 1), "EUR", "USD", D("1.1")),
            (date(2024, 1, 2), "GBP", "EUR", D("1.2")),
        ]
    )


def test_it_uses_the_last_rate_on_or_before_the_date() -> None:
    rates = table()
    assert rates.rate_on("USD", "TRY", date(2024, 1, 2)) == RateQuote(D("30"), date(2024, 1, 1))
    assert rates.rate_on("USD", "TRY", date(2024, 1, 3)).rate == D("31")
    assert rates.rate_on("USD", "TRY", date(2025, 1, 1)).as_of == date(2024, 1, 3)


def test_it_reports_how_old_the_rate_is() -> None:
    quote = table().rate_on("USD", "TRY", date(2024, 1, 10))
    assert quote.staleness_days(date(2024, 1, 10)) == 7


def test_a_missing_rate_raises_and_is_never_one() -> None:
    rates = table()
    with pytest.raises(MissingRateError) as err:
        rates.convert(D("10"), "USD", "TRY", date(2023, 12, 31))
    assert (err.value.from_ccy, err.value.to_ccy, err.value.on) == (
        "USD",
        "TRY",
        date(2023, 12, 31),
    )
    with pytest.raises(MissingRateError):
        rates.rate_on("USD", "JPY", JAN1)


def test_same_currency_is_exactly_one_without_any_rate() -> None:
    rates = RateTable([])
    assert rates.convert(D("12.345"), "try", "TRY", JAN1) == D("12.345")
    assert rates.rate_on("EUR", "EUR", JAN1) == RateQuote(D(1), JAN1)


def test_it_inverts_a_pair() -> None:
    rates = table()
    amount = rates.convert(D("300"), "TRY", "USD", date(2024, 1, 2))
    assert abs(amount - D("10")) < D("1e-70")


def test_a_published_row_wins_over_the_inverse_of_the_other_orientation() -> None:
    rates = RateTable([(JAN1, "USD", "TRY", D("30")), (JAN1, "TRY", "USD", D("0.04"))])
    assert rates.rate_on("TRY", "USD", JAN1).rate == D("0.04")
    assert rates.rate_on("USD", "TRY", JAN1).rate == D("30")


def test_it_crosses_through_a_pivot_with_the_older_legs_date() -> None:
    rates = table()
    quote = rates.rate_on("EUR", "TRY", date(2024, 1, 5))
    assert quote.rate == D("1.1") * D("31")
    assert quote.via == "USD"
    assert quote.as_of == date(2024, 1, 1)


def test_a_cross_takes_one_pivot_only() -> None:
    # GBP->EUR exists but EUR->TRY is itself a cross; two hops are not chained.
    with pytest.raises(MissingRateError):
        table().rate_on("GBP", "TRY", date(2024, 1, 5))


def test_a_cross_needs_both_legs_on_the_date() -> None:
    rates = table()
    with pytest.raises(MissingRateError):
        rates.rate_on("EUR", "TRY", date(2023, 12, 31))


def test_a_direct_pair_is_preferred_over_a_pivot() -> None:
    rates = RateTable(
        [
            (JAN1, "EUR", "TRY", D("35")),
            (JAN1, "EUR", "USD", D("1.1")),
            (JAN1, "USD", "TRY", D("30")),
        ]
    )
    quote = rates.rate_on("EUR", "TRY", JAN1)
    assert (quote.rate, quote.via) == (D("35"), None)


def test_it_rejects_non_positive_rates_and_bad_codes() -> None:
    with pytest.raises(ValueError):
        RateTable([(JAN1, "USD", "TRY", D("0"))])
    with pytest.raises(ValueError):
        RateTable([(JAN1, "US", "TRY", D("1"))])


def test_rate_series_needs_ascending_dates() -> None:
    with pytest.raises(ValueError):
        table().rate_series("USD", "TRY", [date(2024, 1, 2), JAN1])


def test_rate_series_is_none_before_the_first_rate() -> None:
    series = table().rate_series("USD", "TRY", [date(2023, 12, 31), JAN1])
    assert series == [None, RateQuote(D("30"), JAN1)]


rate_values = st.decimals(min_value=D("0.0001"), max_value=D("100000"), places=6)


@st.composite
def rate_rows(draw: st.DrawFn) -> list[tuple[date, str, str, Decimal]]:
    currencies = ["USD", "EUR", "TRY", "GBP", "XAU"]
    rows: dict[tuple[date, frozenset[str]], tuple[date, str, str, Decimal]] = {}
    for _ in range(draw(st.integers(0, 40))):
        base, quote = draw(st.permutations(currencies))[:2]
        on = JAN1 + timedelta(days=draw(st.integers(0, 60)))
        # One row per pair and date: two rows for the same day would be contradictory data.
        rows[(on, frozenset((base, quote)))] = (on, base, quote, draw(rate_values))
    return list(rows.values())


@given(
    rate_rows(),
    st.sampled_from(["USD", "EUR", "TRY", "GBP", "XAU"]),
    st.sampled_from(["USD", "EUR", "TRY", "GBP", "XAU"]),
    st.lists(st.integers(-5, 70), max_size=30),
)
def test_rate_series_agrees_with_rate_on_for_every_date(
    rows: list[tuple[date, str, str, Decimal]], src: str, dst: str, offsets: list[int]
) -> None:
    rates = RateTable(rows)
    dates = sorted(JAN1 + timedelta(days=o) for o in offsets)
    for on, quote in zip(dates, rates.rate_series(src, dst, dates), strict=True):
        if quote is None:
            with pytest.raises(MissingRateError):
                rates.rate_on(src, dst, on)
        else:
            assert rates.rate_on(src, dst, on) == quote


@given(
    rate_rows(),
    st.sampled_from(["USD", "EUR", "TRY", "GBP"]),
    st.sampled_from(["USD", "EUR", "TRY", "GBP"]),
    st.decimals(min_value=D("0.01"), max_value=D("1e12"), places=2),
    st.integers(0, 70),
)
def test_converting_there_and_back_round_trips_within_precision(
    rows: list[tuple[date, str, str, Decimal]], src: str, dst: str, amount: Decimal, day: int
) -> None:
    rates = RateTable(rows)
    on = JAN1 + timedelta(days=day)
    try:
        there = rates.convert(amount, src, dst, on)
        back = rates.convert(there, dst, src, on)
    except MissingRateError:
        return
    # Both directions may take different routes only if the table is inconsistent; a route
    # and its reverse use the same legs, so the loss is only 80-digit rounding.
    with localcontext(ENGINE_CONTEXT):
        assert abs(back - amount) <= amount * D("1e-60")


def test_a_ten_year_daily_series_converts_in_one_pass() -> None:
    days = [JAN1 + timedelta(days=i) for i in range(3653)]
    rates = RateTable((d, "USD", "TRY", D(30) + D(i) / 100) for i, d in enumerate(days))
    series = rates.rate_series("TRY", "USD", days)
    assert all(q is not None for q in series)
    assert series[-1] == rates.rate_on("TRY", "USD", days[-1])


def test_a_manual_rate_wins_its_day_in_both_orientations_and_carries_forward() -> None:
    stored = [(JAN1, "USD", "TRY", D("30")), (date(2024, 1, 3), "USD", "TRY", D("31"))]
    # Entered as TRY/USD: it still beats the published USD/TRY of its day.
    rates = RateTable(stored, overrides=[(JAN1, "TRY", "USD", D("0.025"))])
    assert rates.rate_on("USD", "TRY", JAN1).rate == D(40)
    assert rates.rate_on("TRY", "USD", date(2024, 1, 2)).rate == D("0.025")
    assert rates.rate_on("USD", "TRY", date(2024, 1, 3)).rate == D(31)  # a newer stored rate
    # Crossed like any rate: EUR -> TRY through USD.
    crossed = RateTable([(JAN1, "EUR", "USD", D("1.1"))], overrides=[(JAN1, "USD", "TRY", D(30))])
    assert crossed.rate_on("EUR", "TRY", JAN1) == RateQuote(D("33.0"), JAN1, "USD")


def test_first_date_is_the_first_day_a_rate_answers() -> None:
    rates = table()
    assert rates.first_date("USD", "TRY") == JAN1
    assert rates.first_date("TRY", "usd") == JAN1
    assert rates.first_date("GBP", "USD") == date(2024, 1, 2)  # through EUR
    assert rates.first_date("GBP", "TRY") is None  # two pivots are never chained
    assert rates.first_date("JPY", "JPY") == date.min
    for pair in (("USD", "TRY"), ("GBP", "USD"), ("EUR", "TRY")):
        first = rates.first_date(*pair)
        assert first is not None
        rates.rate_on(*pair, first)
        with pytest.raises(MissingRateError):
            rates.rate_on(*pair, first - timedelta(days=1))


def test_a_price_series_is_converted_at_each_closes_own_rate() -> None:
    rates = RateTable(
        [
            (date(2026, 1, 2), "USD", "TRY", Decimal("30")),
            (date(2026, 1, 5), "USD", "TRY", Decimal("31")),
        ]
    )
    series = PriceSeries.from_points(
        [
            (date(2026, 1, 1), Decimal("2")),  # before any rate: left out, never taken at 1
            (date(2026, 1, 3), Decimal("2")),
            (date(2026, 1, 6), Decimal("2.5")),
        ],
        "USD",
        "gold",
    )
    converted = series_in_currency(series, "TRY", rates)
    assert converted.currency == "TRY" and converted.name == "gold"
    assert converted.dates == (date(2026, 1, 3), date(2026, 1, 6))
    assert converted.closes == (Decimal("60"), Decimal("77.5"))
    assert series_in_currency(series, "usd", rates) is series
