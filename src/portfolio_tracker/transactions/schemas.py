"""Request and response bodies of the transactions API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from portfolio_tracker.api.bodies import StrictBody, optional_not_null
from portfolio_tracker.api.types import (
    NO_NUL_PATTERN,
    DecimalText,
    JsonKeys,
    NonNegativeDecimal,
    PositiveDecimal,
    TradeDated,
    TradeDateInput,
)
from portfolio_tracker.assets.ledger import stored_trade_date
from portfolio_tracker.db.models import Transaction


class TransactionType(StrEnum):
    buy = "buy"
    sell = "sell"


Note = Annotated[Annotated[str, JsonKeys(pattern=NO_NUL_PATTERN)] | None, Field(max_length=1000)]


class TransactionCreate(StrictBody):
    asset_id: uuid.UUID
    type: TransactionType
    quantity: PositiveDecimal
    price_per_unit: NonNegativeDecimal
    transaction_date: TradeDateInput
    fee: NonNegativeDecimal = Field(
        default=Decimal(0),
        description="Buy fee adds to the lot's cost; sell fee reduces the proceeds.",
    )
    note: Note = None


class TransactionUpdate(StrictBody):
    """Fields left out keep their value. Moving to another asset of yours is allowed."""

    asset_id: uuid.UUID | None = optional_not_null()
    type: TransactionType | None = optional_not_null()
    quantity: PositiveDecimal | None = optional_not_null()
    price_per_unit: NonNegativeDecimal | None = optional_not_null()
    transaction_date: TradeDateInput | None = optional_not_null()
    fee: NonNegativeDecimal | None = optional_not_null()
    note: Note = Field(default=None, description="null clears the note.")


class TransactionOut(TradeDated):
    id: uuid.UUID
    asset_id: uuid.UUID
    type: TransactionType
    quantity: DecimalText
    price_per_unit: DecimalText
    fee: DecimalText
    note: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Transaction) -> TransactionOut:
        return cls(
            id=row.id,
            asset_id=row.asset_id,
            type=TransactionType(row.type),
            quantity=row.quantity,
            price_per_unit=row.price_per_unit,
            fee=row.fee,
            note=row.note,
            created_at=row.created_at,
            updated_at=row.updated_at,
            **cls.fields_of(stored_trade_date(row)),
        )
