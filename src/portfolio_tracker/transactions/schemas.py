"""Request and response bodies of the transactions API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

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


class AllocationIn(StrictBody):
    """A piece of a sell under the `specific` cost-basis method: `quantity` from the lot of
    the buy `lot_id` (a transaction id of the same asset, earlier than the sell)."""

    lot_id: uuid.UUID
    quantity: PositiveDecimal


_ALLOCATIONS_TEXT = (
    "Sells of an asset whose cost_basis_method is `specific` only: the lots this sell takes, "
    "adding up to its quantity (quantities after any corporate action before the sell). "
    "Left out or empty: the sell takes the oldest lots (FIFO)."
)


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
    allocations: list[AllocationIn] | None = Field(
        default=None, max_length=1000, description=_ALLOCATIONS_TEXT
    )


class TransactionUpdate(StrictBody):
    """Fields left out keep their value. Moving to another asset of yours is allowed."""

    asset_id: uuid.UUID | None = optional_not_null()
    type: TransactionType | None = optional_not_null()
    quantity: PositiveDecimal | None = optional_not_null()
    price_per_unit: NonNegativeDecimal | None = optional_not_null()
    transaction_date: TradeDateInput | None = optional_not_null()
    fee: NonNegativeDecimal | None = optional_not_null()
    note: Note = Field(default=None, description="null clears the note.")
    allocations: list[AllocationIn] | None = optional_not_null(
        max_length=1000,
        description=_ALLOCATIONS_TEXT + " On an edit, left out keeps them, [] removes them "
        "(a move to another asset or a change to a buy removes them unless given).",
    )


class AllocationOut(BaseModel):
    lot_id: uuid.UUID
    quantity: DecimalText


class TransactionOut(TradeDated):
    id: uuid.UUID
    asset_id: uuid.UUID
    type: TransactionType
    quantity: DecimalText
    price_per_unit: DecimalText
    fee: DecimalText
    note: str | None
    allocations: list[AllocationOut] = Field(
        default_factory=list, description="The lots a `specific` sell names (else empty)."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, row: Transaction, allocations: list[tuple[uuid.UUID, Decimal]] | None = None
    ) -> TransactionOut:
        return cls(
            allocations=[AllocationOut(lot_id=b, quantity=q) for b, q in allocations or ()],
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
