"""Decimal rules shared by the engine."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_tracker.engine.money import (
    ENGINE_CONTEXT,
    is_finite_bounded,
    normalize_currency,
    quantize_money,
    to_plain_str,
)

D = Decimal


def test_engine_context_keeps_eighty_digits_and_traps_errors() -> None:
    third = ENGINE_CONTEXT.divide(D(1), D(3))
    assert len(third.as_tuple().digits) == 80
    with pytest.raises(decimal.DivisionByZero):
        ENGINE_CONTEXT.divide(D(1), D(0))
    with pytest.raises(decimal.InvalidOperation):
        ENGINE_CONTEXT.add(D("Infinity"), D("-Infinity"))
    # A product of two bounded inputs is exact: 33 digits times 33 digits.
    big = D("999999999999999.999999999999999999")
    assert ENGINE_CONTEXT.multiply(big, big) == D(
        "999999999999999999999999999999.998000000000000000000000000000000001"
    )


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        ("2.675", 2, "2.68"),
        ("2.665", 2, "2.66"),  # half to even
        ("2.6650000001", 2, "2.67"),
        ("-1.005", 2, "-1.00"),
        ("1234.5", 0, "1234"),
        ("0.123456", 4, "0.1235"),
        ("7", 2, "7.00"),
    ],
)
def test_quantize_money_rounds_half_to_even(value: str, places: int, expected: str) -> None:
    assert str(quantize_money(D(value), places)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1E+3", "1000"),
        ("0.120", "0.12"),
        ("-0", "0"),
        ("-0.000", "0"),
        ("0E-30", "0"),
        ("100", "100"),
        ("100.00", "100"),
        ("-2.50", "-2.5"),
        ("1E-20", "0.00000000000000000001"),
        ("123456789012345678901234567890.5", "123456789012345678901234567890.5"),
    ],
)
def test_to_plain_str_is_canonical(value: str, expected: str) -> None:
    assert to_plain_str(D(value)) == expected


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_to_plain_str_refuses_non_finite(value: str) -> None:
    with pytest.raises(ValueError):
        to_plain_str(D(value))


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_to_plain_str_round_trips_and_is_canonical(value: Decimal) -> None:
    text = to_plain_str(value)
    assert D(text) == value
    assert "E" not in text and "e" not in text
    assert text != "-0"
    if "." in text:
        assert not text.endswith("0") and not text.endswith(".")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("999999999999999.999999999999999999", True),
        ("-999999999999999", True),
        ("1E+15", False),
        ("-1E+15", False),
        ("0.000000000000000001", True),
        ("0.0000000000000000001", False),
        ("1.0000000000000000000000", True),  # trailing zeros are not places
        ("1E+3", True),
        ("NaN", False),
        ("Infinity", False),
    ],
)
def test_is_finite_bounded(value: str, expected: bool) -> None:
    assert is_finite_bounded(D(value)) is expected


def test_is_finite_bounded_takes_custom_limits_and_refuses_non_decimals() -> None:
    assert is_finite_bounded(D("99.99"), max_abs=100, max_places=2)
    assert not is_finite_bounded(D("100"), max_abs=100)
    assert not is_finite_bounded(D("1.001"), max_places=2)
    assert not is_finite_bounded(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(("code", "expected"), [("TRY", "TRY"), ("usd", "USD"), (" eur ", "EUR")])
def test_normalize_currency_accepts_three_letters(code: str, expected: str) -> None:
    assert normalize_currency(code) == expected


@pytest.mark.parametrize("code", ["", "US", "USDT", "U5D", "ıso", "ÜSD", "ß", "US D", None, 840])
def test_normalize_currency_refuses_anything_else(code: object) -> None:
    with pytest.raises(ValueError):
        normalize_currency(code)  # type: ignore[arg-type]
