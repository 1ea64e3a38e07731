"""Leaving out the trade prices of days a feed close or a manual price covers changes no
price series: ``build_series`` never takes a trade's price on such a day."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.observations import PriceColumn
from portfolio_tracker.engine.segments import DaySeries
from portfolio_tracker.engine.vocabulary import AssetType
from portfolio_tracker.portfolio.loading import (
    AssetInfo,
    RawPrices,
    SeriesSpec,
    build_series,
    covered_days,
)

DAY0 = date(2024, 1, 1)
FEED = ("yahoo", "ACME")
RATES = RateTable((DAY0 + timedelta(days=i), "USD", "TRY", Decimal(30 + i)) for i in range(40))
ASSET = AssetInfo(uuid.uuid4(), "a", "ACME", AssetType.stock, "ACME", "TRY", None, None, "yahoo")

offsets = st.lists(st.integers(0, 39), unique=True).map(sorted)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=2)


def column(source: str, days: list[int], values: list[Decimal], ccys: list[str]) -> PriceColumn:
    on = tuple(DAY0 + timedelta(days=d) for d in days)
    if len(set(ccys)) <= 1:
        return PriceColumn(source, on, values, ccys[0] if ccys else "TRY", ascending=True)  # type: ignore[arg-type]
    return PriceColumn(source, on, values, "", ccys, ascending=True)  # type: ignore[arg-type]


@st.composite
def columns(draw: st.DrawFn, source: str) -> PriceColumn | None:
    if draw(st.booleans()) and source == "feed":
        first, length = draw(st.integers(0, 39)), draw(st.integers(1, 40))
        days = list(range(first, min(first + length, 40)))  # a close every day
    else:
        days = draw(offsets)
    if not days:
        return None
    values = [draw(prices) for _ in days]
    ccys = [draw(st.sampled_from(["TRY", "TRY", "USD"])) for _ in days]
    return column(source, days, values, ccys)


@settings(max_examples=200, deadline=None)
@given(columns("feed"), columns("manual"), offsets, st.data())
def test_trade_prices_on_covered_days_change_no_series(
    feed: PriceColumn | None, manual: PriceColumn | None, traded: list[int], data: st.DataObject
) -> None:
    texts = [str(data.draw(prices)) for _ in traded]
    days = DaySeries([], [], [], [DAY0.toordinal() + d for d in traded], [], texts)
    raw = RawPrices(
        {FEED: feed} if feed is not None else {},
        {ASSET.key: manual} if manual is not None else {},
        {ASSET.key: SeriesSpec((FEED,), None)},
    )

    def trade_column(skip: bool) -> PriceColumn:
        ordinals, values = days.priced(covered_days(ASSET, raw) if skip else None)
        on = tuple(map(date.fromordinal, ordinals))
        return PriceColumn("trade", on, tuple(values), "TRY", ascending=True)

    whole = build_series(ASSET, raw, RATES, trade_column(skip=False))
    lean = build_series(ASSET, raw, RATES, trade_column(skip=True))
    assert repr(lean) == repr(whole)


def test_covered_days_of_a_daily_and_a_sparse_column() -> None:
    daily = column("feed", [3, 4, 5, 6], [Decimal(1)] * 4, ["TRY"] * 4)
    sparse = column("manual", [1, 9], [Decimal(2)] * 2, ["TRY"] * 2)
    raw = RawPrices({FEED: daily}, {ASSET.key: sparse}, {ASSET.key: SeriesSpec((FEED,), None)})
    covered = covered_days(ASSET, raw)
    assert covered is not None
    seen = [d for d in range(12) if DAY0.toordinal() + d in covered]
    assert seen == [1, 3, 4, 5, 6, 9]
    nothing = RawPrices({}, {}, {ASSET.key: SeriesSpec((FEED,), None)})
    assert covered_days(ASSET, nothing) is None


@given(
    st.lists(st.integers(1, 30), unique=True).map(sorted), st.integers(0, 31), st.integers(0, 31)
)
def test_priced_leaves_out_a_range_or_a_set_alike(
    ordinals: list[int], start: int, stop: int
) -> None:
    values = [Decimal(o) / 4 for o in ordinals]
    as_decimals = DaySeries([], [], [], ordinals, values, [])
    as_texts = DaySeries([], [], [], ordinals, [], [str(v) for v in values])
    skip = range(start, stop)
    expected = [(o, v) for o, v in zip(ordinals, values, strict=True) if o not in skip]
    for days in (as_decimals, as_texts):
        for container in (skip, set(skip)):
            kept, prices = days.priced(container)
            assert list(zip(kept, prices, strict=True)) == expected
            assert [str(p) for p in prices] == [str(v) for _, v in expected]
    assert as_decimals == as_texts
