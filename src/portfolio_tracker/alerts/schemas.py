"""Request and response bodies of the alerts API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from portfolio_tracker.api.bodies import StrictBody, optional_not_null
from portfolio_tracker.api.types import NO_NUL_PATTERN, DecimalText, PositiveDecimal
from portfolio_tracker.engine.alerts import AlertState, Direction


class AlertKind(StrEnum):
    price = "price"
    portfolio = "portfolio"


class SymbolKind(StrEnum):
    """What a named symbol is (prices.sources.PriceKind without fx): the stored closes of
    that kind's feeds are read for it."""

    fund = "fund"
    stock = "stock"
    metal = "metal"
    crypto = "crypto"


SYMBOL_PATTERN = r"^[A-Za-z0-9^][A-Za-z0-9.=\-^]{0,24}$"
MAX_MOVE_PCT = Decimal(1000)


def _move_pct(value: Decimal) -> Decimal:
    if value > MAX_MOVE_PCT:
        raise ValueError(f"must be at most {MAX_MOVE_PCT} (percent)")
    return value


Symbol = Annotated[
    str,
    Field(
        min_length=1,
        max_length=25,
        pattern=SYMBOL_PATTERN,
        description="A feed symbol: TEFAS code (fund), ticker as Yahoo spells it (stock, "
        "THYAO.IS), XAU/XAG (metal), coin ticker (crypto). Stored upper-cased.",
    ),
]
Note = Annotated[str, Field(max_length=200, pattern=NO_NUL_PATTERN)]
MovePct = Annotated[
    PositiveDecimal,
    AfterValidator(_move_pct),
    Field(description="Percent, e.g. 5 = a day's move of ±5 % or more."),
]


class AlertCreate(StrictBody):
    """A `price` alert names one of your assets (`asset_id`) or a feed symbol
    (`symbol_kind` + `symbol`), a `direction` and a `level`; a `portfolio` alert names
    `move_pct`."""

    kind: AlertKind
    asset_id: uuid.UUID | None = Field(default=None, description="Price alert on your asset.")
    symbol_kind: SymbolKind | None = Field(default=None, description="Price alert on a symbol.")
    symbol: Symbol | None = None
    direction: Direction | None = Field(
        default=None, description="`above`: at or above the level; `below`: at or below it."
    )
    level: PositiveDecimal | None = Field(
        default=None,
        description="Price per unit in the asset's currency (for a symbol: in the currency "
        "its feed quotes, e.g. USD per troy ounce for XAU).",
    )
    move_pct: MovePct | None = None
    note: Note | None = None


class AlertUpdate(StrictBody):
    """Fields left out keep their value. Changing the condition re-arms the alert."""

    direction: Direction | None = optional_not_null()
    level: PositiveDecimal | None = optional_not_null()
    move_pct: MovePct | None = optional_not_null()
    note: Note | None = Field(default=None, description="null clears it.")


class AlertOut(BaseModel):
    id: uuid.UUID
    kind: AlertKind
    asset_id: uuid.UUID | None
    symbol_kind: SymbolKind | None
    symbol: str | None
    direction: Direction | None
    level: DecimalText | None
    move_pct: DecimalText | None
    note: str | None
    state: AlertState = Field(description="`armed`, or `triggered` until re-armed.")
    triggered_at: datetime | None
    triggered_value: DecimalText | None = Field(
        description="The price it fired on (in triggered_currency), or the day's move as a "
        "ratio (0.05 = +5 %)."
    )
    triggered_currency: str | None
    created_at: datetime
    updated_at: datetime
