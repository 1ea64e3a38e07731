"""Field types shared by the API schemas: exact decimals in, decimal strings out, instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from portfolio_tracker.engine.money import (
    ENGINE_CONTEXT,
    MAX_ABS,
    MAX_PLACES,
    decimal_places,
    to_plain_str,
)

# Figures the engine computes can carry more places than any input; 18 is the input limit,
# so rounding there never alters a stored value.
_MAX_DIGITS = len(str(MAX_ABS)) - 1
_OUTPUT_QUANTUM = Decimal(1).scaleb(-MAX_PLACES)
EARLIEST_TRADE = datetime(1900, 1, 1, tzinfo=UTC)
# "Not in the future" anywhere on Earth: the last time zone to reach a date is UTC+14.
LATEST_OFFSET = timedelta(hours=14)


def _bounded(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    # adjusted() reads the exponent without arithmetic: '1e999999999' must not overflow a context.
    if value and value.adjusted() >= _MAX_DIGITS:
        raise ValueError(f"must be below 10^{_MAX_DIGITS} in absolute value")
    if decimal_places(value) > MAX_PLACES:
        raise ValueError(f"must have at most {MAX_PLACES} decimal places")
    return Decimal(to_plain_str(value))


def _as_text(value: Decimal) -> str:
    # The default 28-digit context cannot hold 15 integer + 18 decimal digits (nor a product of
    # two such inputs): quantize would raise InvalidOperation and the response would fail.
    return to_plain_str(
        value.quantize(_OUTPUT_QUANTUM, rounding=ROUND_HALF_EVEN, context=ENGINE_CONTEXT)
    )


def _iso_text_only(value: object) -> object:
    # Pydantic would read a bare number as a Unix timestamp; the API promises ISO 8601 only.
    if not isinstance(value, (str, datetime)):
        raise ValueError("must be an ISO 8601 date or date-time string")
    return value


def _past_instant(value: datetime) -> datetime:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if value < EARLIEST_TRADE:
        raise ValueError("must be on or after 1900-01-01")
    if value > datetime.now(UTC) + LATEST_OFFSET:
        raise ValueError("must not be in the future")
    return value


InputDecimal = Annotated[
    Decimal,
    Field(
        allow_inf_nan=False,
        description="Exact decimal: a string (preferred) or a JSON number; below 10^15, "
        "at most 18 decimal places.",
    ),
    AfterValidator(_bounded),
]
PositiveDecimal = Annotated[InputDecimal, Field(gt=0)]
NonNegativeDecimal = Annotated[InputDecimal, Field(ge=0)]

DecimalText = Annotated[
    Decimal,
    PlainSerializer(_as_text, return_type=str, when_used="always"),
    WithJsonSchema(
        {"type": "string", "format": "decimal", "examples": ["1234.5"]}, mode="serialization"
    ),
]

TradeInstant = Annotated[
    datetime,
    BeforeValidator(_iso_text_only),
    AfterValidator(_past_instant),
    Field(
        description="ISO 8601 date (2024-03-01) or date-time; a date or a date-time without an "
        "offset is taken as UTC. Not before 1900 and not in the future."
    ),
]
