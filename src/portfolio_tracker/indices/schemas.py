"""Request and response bodies of the index series API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from portfolio_tracker.api.bodies import StrictBody
from portfolio_tracker.api.types import DecimalText, JsonKeys, PositiveDecimal

MONTH_PATTERN = "^(?:19|[2-9][0-9])[0-9]{2}-(?:0[1-9]|1[0-2])$"  # 1900-01 .. 9999-12
NAME_PATTERN = "^[a-z0-9][a-z0-9_-]{0,31}$"

Month = Annotated[
    str,
    Field(min_length=7, max_length=7, pattern=MONTH_PATTERN, description="YYYY-MM"),
    JsonKeys(examples=["2024-08"]),
]


class IndexPoint(StrictBody):
    month: Month
    value: PositiveDecimal = Field(description="The index value of that month.")


class IndexPointOut(BaseModel):
    month: str
    value: DecimalText


class IndexSeriesOut(BaseModel):
    name: str
    values: list[IndexPointOut] = Field(description="By month, oldest first.")


class IndexStoredOut(IndexSeriesOut):
    stored: int = Field(description="How many months this request added or replaced.")
