"""Request and response bodies of the manual prices API."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from portfolio_tracker.api.bodies import StrictBody
from portfolio_tracker.api.types import (
    CURRENCY_PATTERN,
    DAY_PATTERN,
    DecimalText,
    JsonKeys,
    NonNegativeDecimal,
)
from portfolio_tracker.engine.money import normalize_currency

EARLIEST_DAY = date(1900, 1, 1)
# "Not in the future" anywhere on Earth: the last time zone to reach a date is UTC+14.
_LATEST_OFFSET = timedelta(hours=14)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def latest_allowed_day() -> date:
    return (datetime.now(UTC) + _LATEST_OFFSET).date()


def _iso_day_text(value: object) -> object:
    # Pydantic would read a number as a Unix timestamp; the API promises ISO 8601 dates only.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value.strip()):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)")
    return value.strip()


def _past_day(value: date) -> date:
    if value < EARLIEST_DAY:
        raise ValueError("must be on or after 1900-01-01")
    if value > latest_allowed_day():
        raise ValueError("must not be in the future")
    return value


PriceDay = Annotated[
    date,
    BeforeValidator(_iso_day_text),
    AfterValidator(_past_day),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DAY_PATTERN,
            "description": "ISO 8601 date of the price; not before 1900, not in the future.",
        },
        mode="validation",
    ),
]


class ManualPriceCreate(StrictBody):
    asset_id: uuid.UUID
    date: PriceDay
    price: NonNegativeDecimal = Field(
        description="Price of one unit as the asset's quantity is counted (a gram, a coin, a "
        "share), in `currency`."
    )
    currency: (
        Annotated[
            str,
            Field(min_length=3, max_length=3),
            JsonKeys(pattern=CURRENCY_PATTERN),
            AfterValidator(normalize_currency),
        ]
        | None
    ) = Field(default=None, description="ISO 4217 code; defaults to the asset's currency.")


class ManualPriceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: uuid.UUID
    asset_id: uuid.UUID
    date: Annotated[date, Field(validation_alias="day")]
    price: DecimalText
    currency: str
    created_at: datetime
