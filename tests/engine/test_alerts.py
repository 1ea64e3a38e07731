"""The alert rules (engine.alerts): price levels, a day's move, fire once until re-armed."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from portfolio_tracker.engine.alerts import (
    AlertState,
    Direction,
    move_hit,
    price_hit,
    step,
)

D = Decimal
prices = st.decimals(min_value=D("0.000001"), max_value=D("1e12"), places=6)
ratios = st.decimals(min_value=D("-10"), max_value=D("10"), places=8)
thresholds = st.decimals(min_value=D("0.01"), max_value=D("1000"), places=4)


def test_reaching_the_level_counts_and_unknown_prices_never_fire() -> None:
    assert price_hit(Direction.above, D(100), D(100))
    assert price_hit(Direction.below, D(100), D(100))
    assert price_hit(Direction.above, D(100), D("100.01"))
    assert not price_hit(Direction.above, D(100), D("99.99"))
    assert price_hit(Direction.below, D(100), D("99.99"))
    assert not price_hit(Direction.below, D(100), D("100.01"))
    assert not price_hit(Direction.above, D(100), None)
    assert not price_hit(Direction.below, D(100), None)


@given(prices, prices)
def test_above_and_below_cover_every_price_and_overlap_only_at_the_level(
    level: Decimal, price: Decimal
) -> None:
    above, below = (
        price_hit(Direction.above, level, price),
        price_hit(Direction.below, level, price),
    )
    assert above or below
    assert (above and below) == (price == level)


@given(prices, prices, prices)
def test_a_price_further_past_the_level_still_fires(
    level: Decimal, price: Decimal, extra: Decimal
) -> None:
    if price_hit(Direction.above, level, price):
        assert price_hit(Direction.above, level, price + extra)
    if price_hit(Direction.below, level, price) and price - extra > 0:
        assert price_hit(Direction.below, level, price - extra)


@given(thresholds, ratios)
def test_a_move_fires_the_same_up_or_down(threshold: Decimal, move: Decimal) -> None:
    assert move_hit(threshold, move) == move_hit(threshold, -move)
    assert move_hit(threshold, move) == (abs(move) * 100 >= threshold)


def test_a_move_fires_at_or_beyond_the_percent() -> None:
    assert move_hit(D(5), D("0.05"))
    assert move_hit(D(5), D("-0.05"))
    assert move_hit(D(5), D("-0.0712"))
    assert not move_hit(D(5), D("0.0499999"))
    assert not move_hit(D(5), D(0))
    assert not move_hit(D(5), None)


@given(st.lists(st.booleans(), max_size=30))
def test_an_alert_notifies_once_until_it_is_re_armed(hits: list[bool]) -> None:
    state = AlertState.armed
    notified = 0
    for hit in hits:
        result = step(state, hit)
        notified += result.notify
        assert result.notify == (state is AlertState.armed and hit)
        state = result.state
    assert notified == (1 if any(hits) else 0)
    assert state is (AlertState.triggered if any(hits) else AlertState.armed)
