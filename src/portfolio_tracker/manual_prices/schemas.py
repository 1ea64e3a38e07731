"""Request and response bodies of the manual prices API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from portfolio_tracker.api.bodies import StrictBody
from portfolio_tracker.api.types import (
    CurrencyCode,
    DecimalText,
    IsoDay,
    NonNegativeDecimal,
    iso_day_schema,
)

PriceDay = Annotated[
    IsoDay,
    iso_day_schema(
        "ISO 8601 date of the price; not before 1900 and not after your today (in your time zone)."
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
