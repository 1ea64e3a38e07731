"""Field types shared by the API schemas: exact decimals in, decimal strings out, instants."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

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
EARLIEST_DAY = EARLIEST_TRADE.date()
# "Not in the future" anywhere on Earth: the last time zone to reach a date is UTC+14.
LATEST_OFFSET = timedelta(hours=14)
ISO_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- Patterns the OpenAPI document carries and the validators apply (one source for both).
# ECMA-262 and Python agree on them: no lookarounds, ASCII classes only ([0-9], not \d), so a
# client, a validator and a regex-driven generator read them alike.

# A calendar date from 1900 to 2099 (29 February in leap years only).
DAY_PATTERN_BODY = (
    "(?:(?:19|20)[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    "|(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:[02468][048]|[13579][26]))-02-29)"
)
DAY_PATTERN = f"^{DAY_PATTERN_BODY}$"
_TIME_OF_DAY = (
    "[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,9})?)?"
    "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?"
)
INSTANT_PATTERN = f"^{DAY_PATTERN_BODY}(?:{_TIME_OF_DAY})?$"
_INSTANT_RE = re.compile(INSTANT_PATTERN)

# Exact decimals as text: at most 15 integer digits and 18 decimal places.
_PLACES = "(?:[.][0-9]{1,18})?"
SIGNED_DECIMAL_PATTERN = f"^-?[0-9]{{1,15}}{_PLACES}$"
NON_NEGATIVE_DECIMAL_PATTERN = f"^[0-9]{{1,15}}{_PLACES}$"
# Above zero: a non-zero integer part, or a fraction whose last digit is not 0.
POSITIVE_DECIMAL_PATTERN = (
    f"^(?:0{{0,14}}[1-9][0-9]{{0,14}}{_PLACES}|0{{1,15}}[.][0-9]{{0,17}}[1-9])$"
)
_DECIMAL_TEXT = "Exact decimal: a string (preferred) or a JSON number; below 10^15, at most 18 "
_DECIMAL_TEXT += "decimal places."


def _decimal_json_schema(pattern: str, number_bounds: dict[str, float]) -> dict[str, Any]:
    """A number (bounded, a multiple of 10^-18) or a decimal string matching ``pattern``."""
    number: dict[str, Any] = {
        "type": "number",
        **number_bounds,
        "exclusiveMaximum": MAX_ABS,
        "multipleOf": float(_OUTPUT_QUANTUM),
    }
    return {
        "anyOf": [number, {"type": "string", "pattern": pattern}],
        "description": _DECIMAL_TEXT,
    }


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
    # Pydantic would read a bare number (or a string of digits) as a Unix timestamp; the API
    # promises ISO 8601 only, in the shape the OpenAPI pattern documents.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date or date-time string")
    match = _INSTANT_RE.match(value)
    if match is None:
        raise ValueError("must be an ISO 8601 date (2024-03-01) or date-time (2024-03-01T10:30Z)")
    return match.group(0)  # without the newline a JSON Schema `$` lets through


def _past_instant(value: datetime) -> datetime:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if value < EARLIEST_TRADE:
        raise ValueError("must be on or after 1900-01-01")
    if value > datetime.now(UTC) + LATEST_OFFSET:
        raise ValueError("must not be in the future")
    return value


InputDecimal = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    AfterValidator(_bounded),
    WithJsonSchema(
        _decimal_json_schema(SIGNED_DECIMAL_PATTERN, {"exclusiveMinimum": -MAX_ABS}),
        mode="validation",
    ),
]
PositiveDecimal = Annotated[
    Decimal,
    Field(allow_inf_nan=False, gt=0),
    AfterValidator(_bounded),
    WithJsonSchema(
        _decimal_json_schema(POSITIVE_DECIMAL_PATTERN, {"exclusiveMinimum": 0}),
        mode="validation",
    ),
]
NonNegativeDecimal = Annotated[
    Decimal,
    Field(allow_inf_nan=False, ge=0),
    AfterValidator(_bounded),
    WithJsonSchema(
        _decimal_json_schema(NON_NEGATIVE_DECIMAL_PATTERN, {"minimum": 0}), mode="validation"
    ),
]

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
    WithJsonSchema(
        {
            "type": "string",
            "pattern": INSTANT_PATTERN,
            "description": "ISO 8601 date (2024-03-01) or date-time (2024-03-01T10:30:00+03:00); "
            "a date or a date-time without an offset is taken as UTC. Not before 1900 and not "
            "in the future.",
            "examples": ["2024-03-01", "2024-03-01T10:30:00Z"],
        },
        mode="validation",
    ),
]

# Text fields: PostgreSQL cannot store NUL, so every one of them refuses it.
NO_NUL_PATTERN = "^[^\\x00]*$"
# At least one character that is neither whitespace nor NUL (the value is stripped).
NOT_BLANK_PATTERN = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"
CURRENCY_PATTERN = "^[A-Za-z]{3}$"
# A ticker or benchmark symbol: a letter or digit, then letters, digits and . _ = ^ : / -
_SYMBOL_FIRST = "[A-Za-z0-9]"
_SYMBOL_REST = "[A-Za-z0-9._=^:/-]"
SYMBOL_PATTERN = f"^{_SYMBOL_FIRST}{_SYMBOL_REST}*$"
SYMBOL_RE = re.compile(SYMBOL_PATTERN)


def symbol_pattern(max_length: int) -> str:
    """SYMBOL_PATTERN bounded to `max_length` characters (for a query parameter)."""
    return f"^{_SYMBOL_FIRST}{_SYMBOL_REST}{{0,{max_length - 1}}}$"


# --- Calendar days (a manual price's date, the bounds of a history range).


def latest_allowed_day() -> date:
    """The latest date that is not in the future somewhere on Earth."""
    return (datetime.now(UTC) + LATEST_OFFSET).date()


def parse_day(text: str) -> date:
    """A YYYY-MM-DD date (surrounding whitespace ignored); ValueError otherwise."""
    text = text.strip()
    try:
        if not ISO_DAY_RE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)") from exc


def past_day(value: date) -> date:
    """`value` if it is from 1900-01-01 to the latest allowed day; ValueError otherwise."""
    if value < EARLIEST_DAY:
        raise ValueError("must be on or after 1900-01-01")
    if value > latest_allowed_day():
        raise ValueError("must not be in the future")
    return value


class JsonKeys:
    """Extra JSON Schema keywords for the type it annotates (a `pattern`, a `format`).

    Unlike `Field(json_schema_extra=...)` it lands on the annotated type itself, so in
    `Annotated[str, JsonKeys(pattern=...)] | None` the pattern stays on the string branch.
    It documents only: the validators of the field enforce the rule.
    """

    __slots__ = ("keys",)

    def __init__(self, **keys: Any) -> None:
        self.keys = keys

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.update(self.keys)
        return schema


DayText = Annotated[str, JsonKeys(format="date", pattern=DAY_PATTERN)]
"""A date as text in a query parameter; parse it with `parse_day` and `past_day`."""
