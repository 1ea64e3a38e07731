"""Field types shared by the API schemas: exact decimals in, decimal strings out, trade dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from babel.core import get_global
from babel.numbers import get_territory_currencies
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    PlainValidator,
    TypeAdapter,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from portfolio_tracker.engine.dates import TradeDate, as_given
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
EARLIEST_DAY = date(1900, 1, 1)
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
# The offset that ends a date-time matching INSTANT_PATTERN, if it has one.
_OFFSET_RE = re.compile("(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})$")

# Exact decimals as text: at most 15 integer digits and 18 decimal places.
_PLACES = "(?:[.][0-9]{1,18})?"
SIGNED_DECIMAL_PATTERN = f"^-?[0-9]{{1,15}}{_PLACES}$"
NON_NEGATIVE_DECIMAL_PATTERN = f"^[0-9]{{1,15}}{_PLACES}$"
# A fraction of 1 to 18 digits with a non-zero digit somewhere ("20", "020", "000001"):
# one alternative per count of leading zeros keeps the length bound without a lookahead.
_NON_ZERO_FRACTION = "|".join(f"0{{{k}}}[1-9][0-9]{{0,{17 - k}}}" for k in range(18))
# Above zero: a non-zero integer part, or a zero one with a non-zero fraction ("0.20" too).
POSITIVE_DECIMAL_PATTERN = (
    f"^(?:0{{0,14}}[1-9][0-9]{{0,14}}{_PLACES}|0{{1,15}}[.](?:{_NON_ZERO_FRACTION}))$"
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


_DATETIME = TypeAdapter(AwareDatetime)


def _trade_date(value: object) -> date | datetime:
    """A date stays a date (a calendar day, no time); a date-time is an aware instant (no
    offset = UTC). Pydantic alone would read a bare number as a Unix timestamp and a date as
    midnight; the API takes ISO 8601 text only, in the shape the OpenAPI pattern documents.
    Whether the day is after the user's today is checked where the user's zone is known."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value  # a stored trade's date, re-validated with an update (validate_whole)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date or date-time string")
    match = _INSTANT_RE.match(value)
    if match is None:
        raise ValueError(
            "must be a real calendar day from 1900-01-01 to 2099-12-31, as an ISO 8601 date "
            "(2024-03-01) or date-time (2024-03-01T10:30Z)"
        )
    text = match.group(0)  # without the newline a JSON Schema `$` lets through
    if len(text) == len("2024-03-01"):
        return date.fromisoformat(text)
    parsed = _DATETIME.validate_python(text if _OFFSET_RE.search(text) else text + "Z")
    if parsed.astimezone(UTC).date() < EARLIEST_DAY:
        raise ValueError("must be on or after 1900-01-01")
    return parsed


class ExactDecimal:
    """The one exact decimal input rule, as `Annotated` metadata after the Field bounds: a
    JSON number within ``number_bounds``, or a string that matches ``pattern`` — the very
    pattern /openapi.json shows, so full-width digits ("１２"), underscores ("1_000"),
    exponents and surrounding spaces (" 1 ") are refused exactly as the document says. Then
    finite, below 10^15 and at most 18 places (`_bounded`)."""

    __slots__ = ("number_bounds", "pattern", "rule", "text")

    def __init__(self, pattern: str, number_bounds: dict[str, float], rule: str) -> None:
        self.pattern = pattern
        self.text = re.compile(pattern)
        self.number_bounds = number_bounds
        self.rule = rule  # what the pattern asks, in words, for the 422 message

    def _as_documented(self, value: object) -> object:
        if isinstance(value, str) and not self.text.fullmatch(value):
            raise ValueError(
                f"must be {self.rule}, written with ASCII digits and at most one point (e.g. "
                '"12.5"): no spaces, underscores, exponents or other digits'
            )
        if isinstance(value, bool):
            raise ValueError("must be a decimal number or string")
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        bounded = core_schema.no_info_after_validator_function(_bounded, handler(source))
        return core_schema.no_info_before_validator_function(self._as_documented, bounded)

    def __get_pydantic_json_schema__(
        self, _schema: CoreSchema, _handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return _decimal_json_schema(self.pattern, self.number_bounds)


_DIGITS = "at most 15 digits before the point and 18 after"
InputDecimal = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    ExactDecimal(SIGNED_DECIMAL_PATTERN, {"exclusiveMinimum": -MAX_ABS}, _DIGITS),
]
PositiveDecimal = Annotated[
    Decimal,
    Field(allow_inf_nan=False, gt=0),
    ExactDecimal(POSITIVE_DECIMAL_PATTERN, {"exclusiveMinimum": 0}, f"above 0, {_DIGITS}"),
]
NonNegativeDecimal = Annotated[
    Decimal,
    Field(allow_inf_nan=False, ge=0),
    ExactDecimal(NON_NEGATIVE_DECIMAL_PATTERN, {"minimum": 0}, f"0 or more, {_DIGITS}"),
]

# --- Decimals out: the one rounding of every response (README "Numbers on the wire").
# Money amounts (values, costs, proceeds, P&L) and ratios: 8 places; quantities, prices,
# rates and echoed inputs: 18 (the input limit, so a stored value is never altered). Both
# banker's rounding, once, at the edge: a total is computed from exact figures and rounded
# once, so it may differ from the sum of its rounded rows by at most half a unit of the last
# place per row.
MONEY_PLACES = 8
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)
_DECIMAL_OUT = WithJsonSchema(
    {"type": "string", "format": "decimal", "examples": ["1234.5"]}, mode="serialization"
)


_MONEY_CONTEXT = ENGINE_CONTEXT.copy()
_MONEY_CONTEXT.rounding = ROUND_HALF_EVEN
_quantize_money = _MONEY_CONTEXT.quantize


def money_text(value: Decimal) -> str:
    """A money amount or ratio as the API writes it: rounded to ``MONEY_PLACES`` (banker's
    rounding), then ``to_plain_str``'s canonical text. Raises ValueError when not finite.

    The same text as ``to_plain_str(value.quantize(...))`` in half the time (a history
    writes tens of thousands of them): the quantized value always has its 8 places, so
    trimming them is all that is left to do."""
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    text = format(_quantize_money(value, _MONEY_QUANTUM), "f").rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


DecimalText = Annotated[
    Decimal, PlainSerializer(_as_text, return_type=str, when_used="always"), _DECIMAL_OUT
]
MoneyText = Annotated[
    Decimal, PlainSerializer(money_text, return_type=str, when_used="always"), _DECIMAL_OUT
]

TRADE_DATE_RULES = (
    "A date (2024-03-01) is that calendar day, with no time of day; a date-time "
    "(2024-03-01T10:30:00+03:00; Z or no offset = UTC) is an instant, placed on the day and "
    "wall-clock time of your time-zone setting when it is recorded. Not before 1900 and not "
    "after your today (in your time zone)."
)

TradeDateInput = Annotated[
    date | datetime,
    PlainValidator(_trade_date),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": INSTANT_PATTERN,
            "description": f"ISO 8601 date or date-time. {TRADE_DATE_RULES}",
            "examples": ["2024-03-01", "2024-03-01T10:30:00+03:00"],
        },
        mode="validation",
    ),
]
TradeDateEcho = Annotated[
    date | datetime,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "format": "date-time"},
            ],
            "description": "The date as given: YYYY-MM-DD for a date-only trade; for a timed one "
            "the date-time with the UTC offset of your time zone at that moment.",
            "examples": ["2024-03-01", "2024-03-01T10:30:00+03:00"],
        },
        mode="serialization",
    ),
]


class TradeDated(BaseModel):
    """When a trade happened: as given, and as the calendar day and time it counts on."""

    transaction_date: TradeDateEcho
    trade_date: date = Field(description="The trade's calendar day in your time zone.")
    trade_time: time | None = Field(
        description="Wall-clock time of day (HH:MM:SS, with fractions when given) in your time "
        "zone; null for a date-only trade, which counts after every timed trade of its day."
    )

    @staticmethod
    def fields_of(when: TradeDate) -> dict[str, Any]:
        return {
            "transaction_date": as_given(when),
            "trade_date": when.day,
            "trade_time": when.time_of_day,
        }


# Text fields: PostgreSQL cannot store NUL, so every one of them refuses it.
NO_NUL_PATTERN = "^[^\\x00]*$"
# At least one character that is neither whitespace nor NUL (the value is stripped).
NOT_BLANK_PATTERN = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"
_THREE_LETTERS = re.compile("[A-Za-z]{3}")


def _currencies_in_use() -> frozenset[str]:
    """ISO 4217 codes that are legal tender somewhere today (CLDR, through Babel): no
    withdrawn currency (DEM), no fund or test code (XXX, XTS), no metal (XAU)."""
    today = date.today()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, today, tender=True)
    )


ISO_CURRENCIES = _currencies_in_use()


def _any_case(code: str) -> str:
    return "".join(f"[{letter}{letter.lower()}]" for letter in code)


# Exactly the codes `iso_currency` accepts, in any case, so that the OpenAPI document says
# what is accepted: a schema-valid code is never refused (JSON Schema regexes have no
# case-insensitive flag, hence a character class per letter).
CURRENCY_PATTERN = "^(?:" + "|".join(_any_case(code) for code in sorted(ISO_CURRENCIES)) + ")$"
CURRENCY_RE = re.compile(CURRENCY_PATTERN)


def iso_currency(value: str) -> str:
    """An ISO 4217 code in use, upper-cased; ValueError otherwise (also for surrounding
    spaces, which CURRENCY_PATTERN does not allow)."""
    if not _THREE_LETTERS.fullmatch(value):
        raise ValueError("must be three letters A-Z: an ISO 4217 code, e.g. TRY, USD, EUR")
    code = value.upper()
    if code not in ISO_CURRENCIES:
        raise ValueError(f"{code} is not an ISO 4217 currency in use (e.g. TRY, USD, EUR)")
    return code


# A ticker or benchmark symbol: a letter or digit, then letters, digits and . _ = ^ : / -
_SYMBOL_FIRST = "[A-Za-z0-9]"
_SYMBOL_REST = "[A-Za-z0-9._=^:/-]"
SYMBOL_PATTERN = f"^{_SYMBOL_FIRST}{_SYMBOL_REST}*$"
SYMBOL_RE = re.compile(SYMBOL_PATTERN)


def symbol_pattern(max_length: int) -> str:
    """SYMBOL_PATTERN bounded to `max_length` characters (for a query parameter)."""
    return f"^{_SYMBOL_FIRST}{_SYMBOL_REST}{{0,{max_length - 1}}}$"


# --- Calendar days (a manual price's date, the bounds of a history range).


def parse_day(text: str) -> date:
    """A YYYY-MM-DD date (surrounding whitespace ignored); ValueError otherwise."""
    text = text.strip()
    try:
        if not ISO_DAY_RE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)") from exc


def not_before_1900(value: date) -> date:
    """`value` if it is on or after 1900-01-01; ValueError otherwise. Whether it is after the
    user's today is checked where their time zone is known (usersettings.not_after_today)."""
    if value < EARLIEST_DAY:
        raise ValueError("must be on or after 1900-01-01")
    return value


def _iso_day_text(value: object) -> object:
    # Pydantic would read a number as a Unix timestamp; the API promises ISO 8601 dates only.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    # The shape only: pydantic then refuses a day the calendar lacks in its own words.
    if not isinstance(value, str) or not ISO_DAY_RE.fullmatch(value.strip()):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)")
    return value.strip()


# A calendar day given as YYYY-MM-DD text (never a number), on or after 1900-01-01; whether
# it is after the user's today is for the service (usersettings.not_after_today). A field
# adds its documentation: Annotated[IsoDay, WithJsonSchema(iso_day_schema("..."))].
IsoDay = Annotated[date, BeforeValidator(_iso_day_text), AfterValidator(not_before_1900)]


def iso_day_schema(description: str) -> WithJsonSchema:
    """The OpenAPI schema of an `IsoDay` field, described by `description`."""
    return WithJsonSchema(
        {"type": "string", "format": "date", "pattern": DAY_PATTERN, "description": description},
        mode="validation",
    )


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
"""A date as text in a query parameter; parse it with `parse_day` and `not_before_1900`."""


# --- Fast paths for bulk input (a CSV import validates 100k rows).
# Text in the plainest shapes is converted here without a validator round trip; the result is
# exactly what the annotated types above give for the same text (tests/transfer check it).
# Anything else returns None, and the caller runs the full validator (and its messages).

_POSITIVE_DECIMAL_RE = re.compile(POSITIVE_DECIMAL_PATTERN)
_NON_NEGATIVE_DECIMAL_RE = re.compile(NON_NEGATIVE_DECIMAL_PATTERN)
# ISO dates and date-times with at most microseconds (what datetime.isoformat writes).
_PLAIN_INSTANT_RE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)


def plain_positive_decimal(text: str) -> Decimal | None:
    """`PositiveDecimal` of `text`, or None when only the validator can tell."""
    if _POSITIVE_DECIMAL_RE.fullmatch(text) is None:
        return None
    return Decimal(to_plain_str(Decimal(text)))


def plain_non_negative_decimal(text: str) -> Decimal | None:
    """`NonNegativeDecimal` of `text`, or None when only the validator can tell."""
    if _NON_NEGATIVE_DECIMAL_RE.fullmatch(text) is None:
        return None
    return Decimal(to_plain_str(Decimal(text)))


def plain_trade_date(text: str) -> date | datetime | None:
    """`TradeDateInput` of `text` (a date, or an aware date-time; no offset = UTC), or None
    when only the validator can tell (other shapes, impossible dates, before 1900)."""
    if _PLAIN_INSTANT_RE.fullmatch(text) is None or _INSTANT_RE.fullmatch(text) is None:
        return None
    try:
        if len(text) == len("2024-03-01"):
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed if parsed.astimezone(UTC).date() >= EARLIEST_DAY else None


CurrencyCode = Annotated[
    str,
    Field(
        min_length=3,
        max_length=3,
        description="ISO 4217 code of a currency in use, e.g. TRY, USD, EUR (any case; "
        "stored upper-cased).",
    ),
    JsonKeys(pattern=CURRENCY_PATTERN),
    AfterValidator(iso_currency),
]
