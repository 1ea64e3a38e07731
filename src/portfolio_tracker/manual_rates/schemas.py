"""Request and response bodies of the manual rates API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from portfolio_tracker.api.bodies import StrictBody
from portfolio_tracker.api.types import CurrencyCode as Currency
from portfolio_tracker.api.types import DecimalText, PositiveDecimal
from portfolio_tracker.manual_prices.schemas import PriceDay


class ManualRateCreate(StrictBody):
    base: Currency
    quote: Currency = Field(description="ISO 4217 code; not the base.")
    date: PriceDay
    rate: PositiveDecimal = Field(description="How many `quote` one `base` is worth that day.")

    @field_validator("quote")
    @classmethod
    def _not_the_base(cls, quote: str, info: ValidationInfo) -> str:
        if quote == info.data.get("base"):
            raise ValueError("must differ from base: a currency is worth exactly 1 of itself")
        return quote


class ManualRateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: uuid.UUID
    base: str
    quote: str
    date: Annotated[date, Field(validation_alias="day")]
    rate: DecimalText
    created_at: datetime
