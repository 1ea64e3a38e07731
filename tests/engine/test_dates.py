"""Trade dates as the user said them, and the sort key of the one order of trades."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_tracker.engine.dates import (
    END_OF_DAY,
    TradeDate,
    as_given,
    order_key,
    time_rank,
    trade_date_of,
    user_today,
)

ISTANBUL = ZoneInfo("Europe/Istanbul")
NEW_YORK = ZoneInfo("America/New_York")
ZONES = st.sampled_from(
    [UTC, ISTANBUL, NEW_YORK, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")]
)
DAYS = st.dates(date(1900, 1, 1), date(2099, 12, 31))
TIMES = st.none() | st.times()


def test_a_date_only_trade_is_that_day_without_a_time() -> None:
    when = trade_date_of(date(2024, 3, 1), NEW_YORK)
    assert when == TradeDate(date(2024, 3, 1))
    assert as_given(when) == date(2024, 3, 1)


def test_a_timed_trade_is_placed_in_the_users_zone() -> None:
    given_at = datetime(2024, 3, 1, 1, 30, tzinfo=timezone(timedelta(hours=3)))  # 22:30Z on 29 Feb
    when = trade_date_of(given_at, NEW_YORK)  # 17:30 on 29 Feb in New York (EST, -05:00)
    assert when == TradeDate(date(2024, 2, 29), time(17, 30), timedelta(hours=-5))
    assert as_given(when) == given_at
    assert str(as_given(when)) == "2024-02-29 17:30:00-05:00"


def test_no_offset_is_utc() -> None:
    when = trade_date_of(datetime(2024, 3, 1, 22, 0), ISTANBUL)
    assert (when.day, when.time_of_day) == (date(2024, 3, 2), time(1, 0))


def test_the_two_0130s_of_a_fall_back_night_keep_their_offsets() -> None:
    first = datetime(2023, 11, 5, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = first + timedelta(hours=1)  # 01:30 EST
    a, b = trade_date_of(first, NEW_YORK), trade_date_of(second, NEW_YORK)
    assert (a.day, a.time_of_day) == (b.day, b.time_of_day) == (date(2023, 11, 5), time(1, 30))
    assert (a.utc_offset, b.utc_offset) == (timedelta(hours=-4), timedelta(hours=-5))
    assert (as_given(a), as_given(b)) == (first, second)


@given(st.datetimes(datetime(1900, 1, 2), datetime(2099, 12, 30)), ZONES, ZONES)
def test_a_timed_input_comes_back_as_the_same_instant(
    utc: datetime, input_zone: ZoneInfo, zone: ZoneInfo
) -> None:
    # An instant as a client would write it: wall time with the offset of some zone.
    instant = utc.replace(tzinfo=UTC)
    given_at = instant.astimezone(input_zone)
    when = trade_date_of(given_at, zone)
    back = as_given(when)
    assert isinstance(back, datetime)
    assert back.astimezone(UTC) == instant
    assert back.astimezone(zone).date() == when.day
    assert back.astimezone(zone).time().replace(fold=0) == when.time_of_day


@given(DAYS, TIMES, st.integers(), DAYS, TIMES, st.integers())
def test_order_key_is_day_then_time_with_date_only_last_then_entry(
    d1: date, t1: time | None, e1: int, d2: date, t2: time | None, e2: int
) -> None:
    def independent(d: date, t: time | None, e: int) -> tuple[date, bool, time, int]:
        return d, t is None, t or time(0), e

    k1, k2 = order_key(d1, t1, e1), order_key(d2, t2, e2)
    i1, i2 = independent(d1, t1, e1), independent(d2, t2, e2)
    assert (k1 < k2) == (i1 < i2)
    assert (k1 == k2) == (i1 == i2)


@given(st.times())
def test_every_time_of_day_ranks_before_the_end_of_the_day(at: time) -> None:
    assert 0 <= time_rank(at) < END_OF_DAY == time_rank(None)


def test_user_today_is_the_users_calendar_day() -> None:
    at_1611_utc = datetime(2026, 11, 30, 16, 11, tzinfo=UTC)
    assert user_today(ISTANBUL, at_1611_utc) == date(2026, 11, 30)
    assert user_today(ZoneInfo("Pacific/Kiritimati"), at_1611_utc) == date(2026, 12, 1)
    assert user_today(ZoneInfo("Pacific/Pago_Pago"), at_1611_utc) == date(2026, 11, 30)
    assert user_today(NEW_YORK, datetime(2026, 12, 1, 3, tzinfo=UTC)) == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("at", "offset"),
    [(time(10), None), (None, timedelta(hours=3)), (time(10, tzinfo=UTC), timedelta(0))],
)
def test_a_trade_date_refuses_half_a_time(at: time | None, offset: timedelta | None) -> None:
    with pytest.raises(ValueError, match="time"):
        TradeDate(date(2024, 3, 1), at, offset)
