"""The portfolio's fast price reads and series are the plain ones (SQLite and PostgreSQL).

* ``read_feed_columns`` (driver rows; on SQLite one joined row per series) gives what a plain
  ordered SQLAlchemy select gives: days ascending, closes to the last digit, the currency of
  each day, the last two in `latest` mode, nothing after ``upto``.
* ``build_series`` (columns, a feed's per-unit closes shared between assets) gives what its
  plain definition gives: one ``Observation`` per trade day, feed close (times the metal
  factor, divided by the day's split factor unless split-adjusted) and manual price, merged
  by ``observed_series``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import PriceHistory
from portfolio_tracker.engine.actions import CorporateAction, current_units, factor_on
from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.observations import (
    Observation,
    PriceColumn,
    observed_series,
)
from portfolio_tracker.engine.prices import PriceSeries, QuoteSource
from portfolio_tracker.engine.vocabulary import AssetType, CorporateActionKind
from portfolio_tracker.portfolio.loading import (
    AssetInfo,
    RawPrices,
    SeriesSpec,
    build_series,
    load_feed_rows,
)
from portfolio_tracker.portfolio.stored_prices import read_feed_columns
from portfolio_tracker.prices.sources import SPLIT_ADJUSTED_SOURCES

D = Decimal
T0 = date(2020, 1, 1)


def _plain_rows(db: Session, source: str, symbol: str, upto: date) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in db.execute(
            select(PriceHistory.day, PriceHistory.close, PriceHistory.currency)
            .where(
                PriceHistory.source == source,
                PriceHistory.symbol == symbol,
                PriceHistory.day <= upto,
            )
            .order_by(PriceHistory.day)
        )
    ]


def _column_rows(column: PriceColumn) -> list[tuple[Any, ...]]:
    return [(o.on, o.price, o.currency) for o in column.observations()]


def _exact(rows: Sequence[tuple[Any, ...]]) -> list[tuple[date, str, str]]:
    return [(d, str(c), ccy) for d, c, ccy in rows]


def test_stored_series_read_as_columns_are_the_plain_rows(engine: Engine) -> None:
    rng = random.Random(11)
    series = {
        ("yahoo", "AAA"): [(T0 + timedelta(days=i), "USD") for i in range(400)],
        ("stooq", "AAA"): [(T0 + timedelta(days=i), "USD") for i in range(0, 400, 7)],
        ("tefas", "FFF"): [(T0 + timedelta(days=i), "TRY") for i in range(400)],  # shared days
        ("metals", "XAU"): [
            (T0 + timedelta(days=i), "USD" if i < 200 else "EUR") for i in range(300)
        ],
        ("coingecko", "ONE"): [(T0, "USD")],
    }
    rows = [
        {
            "source": source,
            "symbol": symbol,
            "day": day,
            "close": D(rng.choice(["1.50", "2", "0.000123", "1234567.890", "1E+2", "0"]))
            + rng.randint(0, 10**6),
            "currency": currency,
        }
        for (source, symbol), days in series.items()
        for day, currency in days
    ]
    rng.shuffle(rows)  # stored in no particular order
    with Session(engine) as db:
        db.execute(insert(PriceHistory), rows)
        db.commit()
    upto = T0 + timedelta(days=350)
    wanted = [*series, ("yahoo", "NONE")]
    with Session(engine) as db:
        full = read_feed_columns(db.connection(), wanted, upto, "full")
        latest = read_feed_columns(db.connection(), wanted, upto, "latest")
        assert set(full) == set(latest) == set(series)
        for key in series:
            plain = _exact(_plain_rows(db, *key, upto))
            assert _exact(_column_rows(full[key])) == plain, key
            assert _exact(_column_rows(latest[key])) == plain[-2:], key
            assert _exact(load_feed_rows(db, *key, upto, "full")) == plain
            assert _exact(load_feed_rows(db, *key, upto, "latest")) == plain[-2:]
            assert full[key].ascending
        assert full["metals", "XAU"].currencies  # two currencies: one per day
        assert load_feed_rows(db, "yahoo", "NONE", upto, "full") == []


# --- build_series against its definition ----------------------------------------------------


def _reference(
    asset: AssetInfo,
    raw: RawPrices,
    rates: RateTable,
    traded: Sequence[Observation],
    actions: Sequence[CorporateAction],
) -> PriceSeries | None:
    """build_series as first written: an Observation per price, observed_series."""
    spec = raw.specs[asset.key]
    factor = spec.per_unit_factor
    with localcontext(ENGINE_CONTEXT):
        periods = current_units(actions)

        def adjusted(day: date, price: Decimal) -> Decimal:
            return price / factor_on(day, periods) if periods else price

        observations = [
            Observation(o.on, adjusted(o.on, o.price), o.currency, o.source) for o in traded
        ]
        for feed in spec.feeds:
            adjust = feed[0] not in SPLIT_ADJUSTED_SOURCES
            for day, close, currency in raw.feed_rows.get(feed, ()):
                price = close * factor if factor is not None else close
                if adjust:
                    price = adjusted(day, price)
                observations.append(Observation(day, price, currency, "feed"))
        observations.extend(
            Observation(day, adjusted(day, price), currency, "manual")
            for day, price, currency in raw.manual_rows.get(asset.key, ())
        )
    return observed_series(observations, rates, asset.name)


def _exact_series(series: PriceSeries | None) -> object:
    if series is None:
        return None
    closes = [str(c) for c in series.closes]
    return series.currency, series.dates, closes, series.name, series.sources


prices = st.builds(lambda n, e: D(n).scaleb(e), st.integers(1, 10**7), st.integers(-4, 1))
codes = st.sampled_from(["TRY", "USD", "EUR"])


@st.composite
def stored_columns(draw: st.DrawFn, source: str) -> PriceColumn | None:
    if not draw(st.integers(0, 4)):
        return None
    start = draw(st.integers(-5, 20))
    days = [T0 + timedelta(days=i) for i in range(start, start + draw(st.integers(1, 60)))]
    days = [d for d in days if draw(st.integers(0, 6))] or days[:1]
    values = [draw(prices) for _ in days]
    kind: QuoteSource = "manual" if source == "manual" else "feed"
    if draw(st.integers(0, 5)):
        return PriceColumn(kind, days, values, draw(codes), (), True)
    return PriceColumn(kind, days, values, "", [draw(codes) for _ in days], True)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_build_series_is_its_plain_definition(data: st.DataObject) -> None:
    """Assets priced by a split-adjusted and an unadjusted feed, per unit of a spot series,
    with manual prices, trades in another currency and corporate actions."""
    feeds = [("stooq", "S"), ("yahoo", "S"), ("metals", "XAU")]
    raw_feeds = {f: c for f in feeds if (c := data.draw(stored_columns(f[0]))) is not None}
    manual = data.draw(stored_columns("manual"))
    factor = data.draw(st.sampled_from([None, D("0.0321507466"), D("0.1")]))
    spec_feeds = (("metals", "XAU"),) if factor is not None else (("stooq", "S"), ("yahoo", "S"))
    key = str(uuid.UUID(int=1))
    asset = AssetInfo(
        uuid.UUID(key), key, "A", AssetType.stock, "S", data.draw(codes), None, None, "auto"
    )
    raw = RawPrices(
        raw_feeds, {key: manual} if manual else {}, {key: SeriesSpec(spec_feeds, factor)}
    )
    trade_days = sorted({T0 + timedelta(days=i) for i in data.draw(st.lists(st.integers(-8, 70)))})
    ccy = data.draw(codes)
    traded = [Observation(d, data.draw(prices), ccy, "trade") for d in trade_days]
    actions = [
        CorporateAction(f"a{i}", CorporateActionKind.SPLIT, T0 + timedelta(days=d), D(n), D(1))
        for i, (d, n) in enumerate(
            data.draw(st.lists(st.tuples(st.integers(0, 60), st.integers(2, 3)), max_size=2))
        )
    ]
    rates = RateTable(
        [(T0 + timedelta(days=i), "USD", "TRY", D(30) + i) for i in range(3, 80, 3)]
        + [(T0 + timedelta(days=i), "EUR", "USD", D("1.1")) for i in range(10, 80, 5)]
    )
    expected = _exact_series(_reference(asset, raw, rates, traded, actions))
    assert _exact_series(build_series(asset, raw, rates, traded, actions)) == expected
    # A second asset on the same feed reuses its per-unit closes and gets the same series.
    assert _exact_series(build_series(asset, raw, rates, traded, actions)) == expected
    # The trades' prices given as one column (a cache without an object per day).
    for column in PriceColumn.of_observations(traded):
        assert _exact_series(build_series(asset, raw, rates, column, actions)) == expected
