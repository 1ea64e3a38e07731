"""Stored day moves stay readable in both forms of their priced days."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from portfolio_tracker.engine.segments import DayMove
from portfolio_tracker.state.codec import decode_days, encode_summary, recent_priced

D = Decimal
DAYS = [
    DayMove(date(2024, 1, 2), D("1.5"), D("150.25"), D("100.1")),
    DayMove(date(2024, 1, 3), D("-0.5"), D("-51"), D("102")),
]


def test_priced_days_are_written_as_a_list_for_the_previous_release() -> None:
    text = encode_summary(DAYS)
    assert json.loads(text)["pd"] == [d.day.toordinal() for d in DAYS]
    assert decode_days(text) == DAYS


def test_a_summary_with_null_priced_days_means_every_day_is_priced() -> None:
    data = json.loads(encode_summary(DAYS))
    data["pd"] = None
    text = json.dumps(data)
    assert decode_days(text) == DAYS
    assert recent_priced(text, 1) == DAYS[1:]
