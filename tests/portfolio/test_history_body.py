"""The history's points written directly equal pydantic's serialisation of the same answer."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given
from hypothesis import strategies as st

from portfolio_tracker.api.types import money_text
from portfolio_tracker.engine.money import ENGINE_CONTEXT, to_plain_str
from portfolio_tracker.portfolio.history_body import HistoryBody, PointRow
from portfolio_tracker.portfolio.schemas import (
    BenchmarkOut,
    ExcludedOut,
    HistoryOut,
    RealReturnOut,
)


def _in_range(d: Decimal) -> bool:
    return d.is_finite() and d.adjusted() < 15 and int(d.as_tuple().exponent) > -60


amounts: st.SearchStrategy[Decimal] = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, places=None
).filter(_in_range)


@given(amounts)
def test_money_text_is_the_rounded_canonical_text(value: Decimal) -> None:
    rounded = value.quantize(Decimal("1E-8"), rounding=ROUND_HALF_EVEN, context=ENGINE_CONTEXT)
    assert money_text(value) == to_plain_str(rounded)


def test_money_text_edges() -> None:
    assert money_text(Decimal("-0.000000001")) == "0"
    assert money_text(Decimal("100.000")) == "100"
    assert money_text(Decimal("0.000000005")) == "0"  # half to even
    assert money_text(Decimal("0.000000015")) == "0.00000002"
    assert money_text(Decimal("-1E+3")) == "-1000"


points = st.lists(
    st.builds(
        PointRow,
        st.dates(date(1990, 1, 1), date(2040, 1, 1)),
        amounts,
        amounts,
        amounts,
        amounts,
        st.integers(0, 60),
        st.none() | amounts,
    ),
    max_size=8,
)
names = st.text(max_size=12)  # quotes, backslashes, control characters, '"points":[]'


@given(points, names, st.booleans())
def test_the_body_is_pydantics_serialisation(rows: list[PointRow], name: str, full: bool) -> None:
    start = date(2020, 1, 1)
    head = HistoryOut(
        base_currency="TRY",
        from_=start,
        to=start + timedelta(days=9),
        interval="day",
        points=[],
        twr=Decimal("0.125") if full else None,
        xirr=Decimal("-0.5") if full else None,
        unpriced_days=3,
        excluded=[
            ExcludedOut(
                asset_id="a", name=name + '"points":[]', reason="no_price", from_=start, to=start
            )
        ],
        benchmark=BenchmarkOut(
            symbol="XAU",
            series=name,
            value=None,
            net_invested=Decimal(1),
            gain=None,
            simple_return=None,
            irr=None,
            price_return=None,
            reason="no_data",
            detail=name,
        )
        if full
        else None,
        real_return=RealReturnOut(series="CPI-TR", inflation=None, real_twr=None, reason=None),
    )
    body = HistoryBody(head, rows)
    assert body.json() == body.model().model_dump_json(by_alias=True).encode()
