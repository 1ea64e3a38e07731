"""Trade dates as the user said them, and the one order of trades.

A trade happens on a calendar day of the user's own time zone, and at a time of day only
when the user gave one. Those two are what is stored and what every computation reads, so a
trade stays on its day whatever the server's zone or a later change of the user's zone.

* A date-only input (``2024-03-01``) is that day, with no time.
* A timed input (``2024-03-01T10:00:00+03:00``; ``Z`` or no offset is UTC) is an instant. Its
  day and wall-clock time are those of the user's zone at the moment it is recorded, and the
  zone's UTC offset at that moment is kept to echo the instant back (``as_given``).

The order of trades (``order_key``) is total: calendar day, then time of day where one was
given — a date-only trade counts at the END of its day, after every timed trade of that day —
then entry order (the per-user number a trade got when first entered; an edit or a move to
another asset never changes it). For example, four trades of one day entered in this order:

    entry 1  sell  2024-03-01            (date only)  ->  3rd
    entry 2  buy   2024-03-01T10:00                   ->  2nd
    entry 3  buy   2024-03-01T09:00                   ->  1st
    entry 4  buy   2024-03-01            (date only)  ->  4th (same day, no time, entered later)

The database sorts by the same three columns (``trade_date``, ``trade_time`` nulls last,
``entry_number``); tests check that both orders agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

__all__ = [
    "END_OF_DAY",
    "OrderKey",
    "TradeDate",
    "as_given",
    "order_key",
    "time_rank",
    "trade_date_of",
    "user_today",
]

# Microseconds in a day: one more than the rank of 23:59:59.999999, the last timed moment.
END_OF_DAY = 86_400_000_000

OrderKey = tuple[date, int, int]


def time_rank(time_of_day: time | None) -> int:
    """Microseconds since midnight of a time of day; ``END_OF_DAY`` for a date-only trade."""
    if time_of_day is None:
        return END_OF_DAY
    seconds = time_of_day.hour * 3600 + time_of_day.minute * 60 + time_of_day.second
    return seconds * 1_000_000 + time_of_day.microsecond


def order_key(day: date, time_of_day: time | None, entry: int) -> OrderKey:
    """The sort key of a trade: ``(day, time_rank(time_of_day), entry)`` (see module doc)."""
    return day, time_rank(time_of_day), entry


@dataclass(frozen=True, slots=True)
class TradeDate:
    """When a trade happened, as the user said it.

    ``time_of_day`` is naive wall-clock time in the user's zone; ``utc_offset`` is that zone's
    offset at the moment (both None for a date-only trade).
    """

    day: date
    time_of_day: time | None = None
    utc_offset: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.time_of_day is None) != (self.utc_offset is None):
            raise ValueError("a time of day and its UTC offset go together")
        if self.time_of_day is not None and self.time_of_day.tzinfo is not None:
            raise ValueError("time_of_day is wall-clock time: it carries no zone")


def trade_date_of(given: date | datetime, tz: tzinfo) -> TradeDate:
    """The trade date of an input: a date is that day; a datetime (naive = UTC) is an instant
    placed in the user's zone ``tz``."""
    if not isinstance(given, datetime):
        return TradeDate(given)
    instant = given.replace(tzinfo=UTC) if given.tzinfo is None else given
    local = instant.astimezone(tz)
    offset = local.utcoffset()
    assert offset is not None  # astimezone gives an aware value
    return TradeDate(local.date(), local.time().replace(tzinfo=None, fold=0), offset)


def as_given(when: TradeDate) -> date | datetime:
    """The trade date to echo back: the day, or the instant with the recorded offset."""
    if when.time_of_day is None or when.utc_offset is None:
        return when.day
    return datetime.combine(when.day, when.time_of_day, timezone(when.utc_offset))


def user_today(tz: tzinfo, now: datetime | None = None) -> date:
    """The user's calendar day at ``now`` (an aware instant; the current instant by default).

    "Not in the future" means after this day, whatever UTC's or the server's day is.
    """
    return (now or datetime.now(UTC)).astimezone(tz).date()
