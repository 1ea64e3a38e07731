"""Slots: the latest scheduled instant at or before a moment."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from portfolio_tracker.jobs.schedule import Daily, Every

MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def test_every_fifteen_minutes_starts_on_the_quarter_hour() -> None:
    every = Every(timedelta(minutes=15))
    assert every.slot_at(datetime(2026, 3, 1, 10, 44, 59, tzinfo=UTC)) == datetime(
        2026, 3, 1, 10, 30, tzinfo=UTC
    )
    assert every.slot_at(datetime(2026, 3, 1, 10, 45, tzinfo=UTC)) == datetime(
        2026, 3, 1, 10, 45, tzinfo=UTC
    )


def test_daily_before_its_hour_is_yesterdays_slot() -> None:
    daily = Daily(time(2))
    assert daily.slot_at(datetime(2026, 3, 1, 1, 59, tzinfo=UTC)) == datetime(
        2026, 2, 28, 2, tzinfo=UTC
    )
    assert daily.slot_at(datetime(2026, 3, 1, 2, 0, tzinfo=UTC)) == datetime(
        2026, 3, 1, 2, tzinfo=UTC
    )


@given(MOMENTS, st.integers(min_value=1, max_value=1440))
def test_a_slot_is_at_most_one_period_old(now: datetime, minutes: int) -> None:
    period = timedelta(minutes=minutes)
    slot = Every(period).slot_at(now)
    assert slot <= now < slot + period
    assert Every(period).slot_at(slot) == slot


@given(MOMENTS, st.integers(min_value=0, max_value=23))
def test_a_daily_slot_is_the_last_one_at_its_hour(now: datetime, hour: int) -> None:
    slot = Daily(time(hour)).slot_at(now)
    assert slot.hour == hour and slot.minute == 0
    assert slot <= now < slot + timedelta(days=1)
