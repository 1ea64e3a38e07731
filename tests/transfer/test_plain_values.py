"""The import's fast paths give exactly what the API's validators give for the same text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from portfolio_tracker.api.types import (
    NON_NEGATIVE_DECIMAL_PATTERN,
    NonNegativeDecimal,
    PositiveDecimal,
    TradeDateInput,
    plain_non_negative_decimal,
    plain_positive_decimal,
    plain_trade_date,
)

POSITIVE = TypeAdapter(PositiveDecimal)
NON_NEGATIVE = TypeAdapter(NonNegativeDecimal)
INSTANT = TypeAdapter(TradeDateInput)

decimal_texts = st.one_of(
    st.from_regex(NON_NEGATIVE_DECIMAL_PATTERN, fullmatch=True),
    st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{0,22})?", fullmatch=True),
    st.sampled_from(["0", "0.0", "00.10", "1e3", " 1", "1.", ".5", "NaN", "1_000", "１"]),
)
_days = st.datetimes(min_value=datetime(1899, 12, 25), max_value=datetime(2100, 1, 2))
instants = st.one_of(
    st.builds(lambda d, sep: d.isoformat(sep=sep), _days, st.sampled_from(["T", " "])),
    st.builds(
        lambda d, tz: d.replace(tzinfo=tz).isoformat(),
        _days,
        st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5))]),
    ),
    _days.map(lambda d: d.date().isoformat()),
    st.from_regex(
        r"(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]([T ][0-2][0-9]:[0-5][0-9](:[0-5][0-9]"
        r"(\.[0-9]{1,9})?)?(Z|z|[+-][01][0-9]:?[0-5][0-9])?)?",
        fullmatch=True,
    ),
)


def _validated(adapter: TypeAdapter[object], text: str) -> object | None:
    try:
        return adapter.validate_python(text)
    except ValidationError:
        return None


def _same(plain: object | None, validated: object | None) -> None:
    """Either the fast path declined, or it agrees with the validator to the last digit."""
    if plain is None:
        return
    assert validated is not None
    assert type(plain) is type(validated)
    if isinstance(plain, Decimal):
        assert str(plain) == str(validated)
    elif isinstance(plain, datetime):
        assert isinstance(validated, datetime)
        assert plain == validated and plain.utcoffset() == validated.utcoffset()
    else:
        assert plain == validated


@given(decimal_texts)
def test_decimals(text: str) -> None:
    _same(plain_positive_decimal(text), _validated(POSITIVE, text))
    _same(plain_non_negative_decimal(text), _validated(NON_NEGATIVE, text))


@given(instants)
def test_instants(text: str) -> None:
    _same(plain_trade_date(text), _validated(INSTANT, text))


def test_the_plain_shapes_take_the_fast_path() -> None:
    assert plain_positive_decimal("0010.500") == Decimal("10.5")
    assert plain_non_negative_decimal("0.000") == Decimal(0)
    assert plain_trade_date("2024-01-02T10:30:00+03:00") == INSTANT.validate_python(
        "2024-01-02T07:30:00Z"
    )
    assert plain_trade_date("2024-01-02") == date(2024, 1, 2)
