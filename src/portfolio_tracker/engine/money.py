"""Decimal rules shared by the whole engine.

Every engine entry point computes under ``ENGINE_CONTEXT``: inputs are bounded (below 10**15,
at most 18 decimal places), so a product of two inputs needs about 66 significant digits and
80 leaves room for sums and one more factor. Rounding to a currency's places happens only for
display, through ``quantize_money``.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = [
    "ENGINE_CONTEXT",
    "MAX_ABS",
    "MAX_PLACES",
    "decimal_places",
    "is_finite_bounded",
    "normalize_currency",
    "quantize_money",
    "to_plain_str",
]

# Overflow is trapped too: an infinite figure is never a valid amount. Inexact/Rounded are not
# trapped because divisions (cost per unit, FX conversion) legitimately round at 80 digits.
ENGINE_CONTEXT = decimal.Context(
    prec=80,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

MAX_ABS = 10**15
MAX_PLACES = 18


def quantize_money(value: Decimal, places: int = 2) -> Decimal:
    """Round ``value`` to ``places`` decimals, banker's rounding. For display only."""
    quantum = Decimal((0, (1,), -places))
    return value.quantize(quantum, rounding=ROUND_HALF_EVEN, context=ENGINE_CONTEXT)


def to_plain_str(d: Decimal) -> str:
    """Canonical text of a finite Decimal: no exponent, no trailing zeros, no negative zero.

    Works on the digits rather than ``normalize()`` so that no context precision can round it.
    """
    if not d.is_finite():
        raise ValueError(f"not a finite number: {d}")
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "0", ""):
        return "0"
    return text


def decimal_places(d: Decimal) -> int:
    """Significant decimal places of a finite Decimal (``0.120`` has 2, ``1E+3`` has 0)."""
    _sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)  # finite numbers only; the callers check
    if exponent >= 0:
        return 0
    trailing = len(digits) - len(bytes(digits).rstrip(b"\x00"))
    return max(0, -exponent - trailing)


def is_finite_bounded(d: Decimal, max_abs: int = MAX_ABS, max_places: int = MAX_PLACES) -> bool:
    """True when ``d`` is finite, ``|d| < max_abs`` and it has at most ``max_places`` decimals.

    These bounds are what keep every engine computation exact within ``ENGINE_CONTEXT``.
    """
    if not isinstance(d, Decimal) or not d.is_finite():
        return False
    if d.copy_abs() >= max_abs:  # abs() would round to the 28-digit default context
        return False
    return decimal_places(d) <= max_places


def normalize_currency(code: str) -> str:
    """Return an ISO-4217-shaped code (three letters A–Z), upper-cased; ValueError otherwise.

    ASCII is checked before upper-casing: ``"ı".upper()`` is ``"I"`` and ``"ß".upper()`` is
    ``"SS"``, which would otherwise let non-Latin letters slip in as a valid code.
    """
    if not isinstance(code, str):
        raise ValueError(f"currency code must be a string, got {type(code).__name__}")
    stripped = code.strip()
    if len(stripped) != 3 or not stripped.isascii() or not stripped.isalpha():
        raise ValueError(f"invalid currency code {code!r}: expected three letters A-Z")
    return stripped.upper()
