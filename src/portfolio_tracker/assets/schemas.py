"""Request and response bodies of the assets API."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    computed_field,
    field_validator,
)

from portfolio_tracker.api.bodies import StrictBody, optional_not_null
from portfolio_tracker.api.types import (
    NOT_BLANK_PATTERN,
    SYMBOL_PATTERN,
    SYMBOL_RE,
    CurrencyCode,
    DecimalText,
    ExactDecimal,
    JsonKeys,
    MoneyText,
    TradeDated,
)
from portfolio_tracker.engine.dates import TradeDate
from portfolio_tracker.engine.lots import FifoResult, OpenLot, Realization
from portfolio_tracker.engine.vocabulary import AssetType, CostBasisMethod, MetalUnit
from portfolio_tracker.prices.sources import PriceSource, effective_price_source


def _ticker(value: str | None) -> str | None:
    if value is None:
        return None
    if not SYMBOL_RE.fullmatch(value):
        raise ValueError("may hold only letters, digits and . - _ = ^ : /")
    return value.upper()


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    JsonKeys(pattern=NOT_BLANK_PATTERN),
]
Ticker = Annotated[
    Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
        JsonKeys(pattern=SYMBOL_PATTERN),
    ]
    | None,
    AfterValidator(_ticker),
    Field(
        description="Letters, digits and . - _ = ^ : / (starting with a letter or a digit); "
        "stored upper-cased."
    ),
]
_FINENESS_TEXT = "Share of pure metal, e.g. 0.995 (24k gram gold), 0.916 (22k), 0.585 (14k)."
Fineness = Annotated[
    Decimal,
    Field(gt=0, le=1, allow_inf_nan=False, description=_FINENESS_TEXT),
    ExactDecimal(
        "^(?:0?[.][0-9]{0,17}[1-9]|1(?:[.]0{1,18})?)$",
        {"exclusiveMinimum": 0, "maximum": 1},
        "above 0 and at most 1 with at most 18 decimal places",
    ),
]


class AssetCreate(StrictBody):
    # unit and fineness apply to metals only: JSON Schema says so with if/then.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {
                "properties": {"type": {"not": {"const": AssetType.metal.value}}},
                "required": ["type"],
            },
            "then": {"properties": {"unit": {"type": "null"}, "fineness": {"type": "null"}}},
        },
    )

    name: Name
    type: AssetType
    ticker_symbol: Ticker = None
    currency: CurrencyCode = "TRY"
    unit: MetalUnit | None = Field(
        default=None, description="Metals only: gram (default), troy_ounce, kilogram or a coin."
    )
    fineness: Fineness | None = Field(
        default=None, description="Metals only; coins carry their own standard fineness."
    )
    price_source: PriceSource = PriceSource.auto
    foreign_security: StrictBool = Field(
        default=False,
        description="A security held abroad: the Türkiye mode of the realised-gains report "
        "declares its gains.",
    )
    cost_basis_method: CostBasisMethod = Field(
        default=CostBasisMethod.fifo,
        description="How sells pick lots: fifo, average (moving weighted average), lifo, hifo "
        "(highest unit cost, fees included) or specific (each sell names its lots).",
    )

    @field_validator("unit", "fineness")
    @classmethod
    def _metal_fields_only_on_metals(cls, value: object, info: ValidationInfo) -> object:
        if value is not None and info.data.get("type") not in (None, AssetType.metal):
            raise ValueError(f"{info.field_name} applies to metal assets only")
        return value


class AssetUpdate(StrictBody):
    """Fields left out keep their value; `ticker_symbol: null` clears the ticker."""

    name: Name | None = optional_not_null()
    type: AssetType | None = optional_not_null()
    ticker_symbol: Ticker = None
    currency: CurrencyCode | None = optional_not_null()
    unit: MetalUnit | None = None
    fineness: Fineness | None = None
    price_source: PriceSource | None = Field(
        default=None, description="null or left out keeps the current source."
    )
    foreign_security: StrictBool | None = optional_not_null()
    cost_basis_method: CostBasisMethod | None = optional_not_null()


class AssetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    type: AssetType
    ticker_symbol: str | None
    currency: str
    unit: MetalUnit | None
    fineness: DecimalText | None
    price_source: Annotated[PriceSource, BeforeValidator(lambda v: v or PriceSource.auto)]
    foreign_security: bool
    cost_basis_method: CostBasisMethod
    created_at: datetime
    updated_at: datetime

    @computed_field(  # type: ignore[prop-decorator]
        description="The feed `auto` resolves to (tefas, yahoo, coingecko, metals), the "
        "chosen feed, `manual`, or null when no feed can price it (no ticker)."
    )
    @property
    def effective_price_source(self) -> str | None:
        return effective_price_source(self.type.value, self.ticker_symbol, self.price_source.value)


class Holding(BaseModel):
    quantity: DecimalText
    cost_basis: MoneyText = Field(description="Cost of the open lots, buy fees included.")
    average_cost: DecimalText | None = Field(
        description="cost_basis / quantity; null when none held."
    )
    realized_pnl: MoneyText = Field(
        description="Sum over sells of proceeds (after fee) minus their cost under the "
        "asset's cost_basis_method."
    )
    open_lots: int

    @classmethod
    def of(cls, fifo: FifoResult) -> Holding:
        return cls(
            quantity=fifo.quantity,
            cost_basis=fifo.cost_basis,
            average_cost=fifo.average_cost,
            realized_pnl=fifo.realized_pnl,
            open_lots=len(fifo.open_lots),
        )


class AssetDetail(AssetOut):
    holding: Holding


class LotOut(TradeDated):
    transaction_id: uuid.UUID
    original_quantity: DecimalText
    remaining_quantity: DecimalText
    price_per_unit: DecimalText
    cost_per_unit: DecimalText = Field(description="Price plus the buy fee spread over the lot.")
    remaining_cost: MoneyText

    @classmethod
    def of(cls, lot: OpenLot, dates: Mapping[str, TradeDate]) -> LotOut:
        """`dates`: each transaction's trade date by id (`trade_dates_of_asset`)."""
        return cls(
            transaction_id=uuid.UUID(lot.buy_id),
            **cls.fields_of(dates[lot.buy_id]),
            original_quantity=lot.original_quantity,
            remaining_quantity=lot.remaining_quantity,
            price_per_unit=lot.price_per_unit,
            cost_per_unit=lot.cost_per_unit,
            remaining_cost=lot.remaining_cost,
        )


class ConsumedLotOut(TradeDated):
    transaction_id: uuid.UUID
    quantity: DecimalText
    cost: MoneyText


class RealizationOut(TradeDated):
    transaction_id: uuid.UUID
    quantity: DecimalText
    proceeds: MoneyText = Field(description="quantity × price − sell fee")
    cost: MoneyText = Field(description="The consumed lots' cost (exact sum, rounded once).")
    realized_pnl: MoneyText
    consumed_lots: list[ConsumedLotOut]

    @classmethod
    def of(cls, sell: Realization, dates: Mapping[str, TradeDate]) -> RealizationOut:
        """`dates`: each transaction's trade date by id (`trade_dates_of_asset`)."""
        return cls(
            transaction_id=uuid.UUID(sell.sell_id),
            **cls.fields_of(dates[sell.sell_id]),
            quantity=sell.quantity,
            proceeds=sell.proceeds,
            cost=sell.cost,
            realized_pnl=sell.realized_pnl,
            consumed_lots=[
                ConsumedLotOut(
                    transaction_id=uuid.UUID(c.buy_id),
                    **ConsumedLotOut.fields_of(dates[c.buy_id]),
                    quantity=c.quantity,
                    cost=c.cost,
                )
                for c in sell.consumed
            ],
        )
