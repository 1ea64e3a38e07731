"""``RateTable.rates_on`` (rates of many dates without a quote object each) is ``rate_on``
date by date: the same route and the same Decimal, None exactly where ``rate_on`` raises."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_tracker.engine.fx import MissingRateError, RateTable

T0 = date(2024, 1, 1)
CODES = ["USD", "TRY", "EUR", "GBP"]

rows = st.lists(
    st.tuples(
        st.integers(0, 30),
        st.sampled_from(CODES),
        st.sampled_from(CODES),
        st.builds(lambda n, e: Decimal(n).scaleb(e), st.integers(1, 10**6), st.integers(-4, 1)),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(
    rows,
    rows,
    st.sampled_from([*CODES, "try"]),
    st.sampled_from(CODES),
    st.lists(st.integers(-3, 35), max_size=20),
)
def test_rates_on_is_rate_on_day_by_day(
    published: list[tuple[int, str, str, Decimal]],
    manual: list[tuple[int, str, str, Decimal]],
    src: str,
    dst: str,
    offsets: list[int],
) -> None:
    table = RateTable(
        [(T0 + timedelta(days=d), b, q, r) for d, b, q, r in published],
        [(T0 + timedelta(days=d), b, q, r) for d, b, q, r in manual[:3]],
    )
    days = [T0 + timedelta(days=i) for i in offsets]  # any order, repeats
    expected: list[str | None] = []
    for on in days:
        try:
            expected.append(str(table.rate_on(src, dst, on).rate))
        except MissingRateError:
            expected.append(None)
    assert [None if r is None else str(r) for r in table.rates_on(src, dst, days)] == expected
    ordered = sorted(days)
    assert [None if q is None else str(q.rate) for q in table.rate_series(src, dst, ordered)] == [
        None if r is None else str(r) for r in table.rates_on(src, dst, ordered)
    ]
