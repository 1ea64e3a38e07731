"""Request and response bodies of the manual prices API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
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
    DAY_PATTERN,
    ISO_DAY_RE,
    CurrencyCode,
    DecimalText,
    NonNegativeDecimal,
    not_before_1900,
)


def _iso_day_text(value: object) -> object:
    # Pydantic would read a number as a Unix timestamp; the API promises ISO 8601 dates only.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    # The shape only: pydantic then refuses a day the calendar lacks in its own words.
    if not isinstance(value, str) or not ISO_DAY_RE.fullmatch(value.strip()):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)")
    return value.strip()


PriceDay = Annotated[
    date,
    BeforeValidator(_iso_day_text),
    AfterValidator(not_before_1900),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DAY_PATTERN,
            "description": "ISO 8601 date of the price; not before 1900 and not after your "
            "today (in your time zone).",
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
    currency: CurrencyCode | None = Field(
        default=None, description="ISO 4217 code; defaults to the asset's currency."
    )


class ManualPriceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: uuid.UUID
    asset_id: uuid.UUID
    date: Annotated[date, Field(validation_alias="day")]
    price: DecimalText
    currency: str
    created_at: datetime
