"""Response bodies of the portfolio API.

Figures are computed exactly (80-digit Decimal) and rounded only for the wire, by the types
of api.types: money amounts and ratios (returns, weights) to at most 8 decimal places,
quantities, prices and exchange rates to at most 18; trailing zeros are dropped.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from portfolio_tracker.api.types import DecimalText, MoneyText

Money = MoneyText  # 8 places (api.types: the one rounding of every response)
Ratio = Money  # returns and weights: 0.1234 = 12.34 %
Quantity = DecimalText  # quantities, prices and rates: 18 places


class Attribution(BaseModel):
    price_effect: Money = Field(description="Unrealised P&L from the asset's own price, in base.")
    currency_effect: Money = Field(description="Unrealised P&L from the exchange rate, in base.")


class HoldingOut(BaseModel):
    asset_id: str
    name: str
    type: str
    currency: str = Field(description="Currency of the asset's trades (and lot costs).")
    quantity: Quantity
    average_cost: Quantity | None = Field(description="Per unit, asset currency, fees included.")
    price: Quantity | None = Field(
        description="Last observed price on or before today, per unit (see price_source)."
    )
    price_currency: str | None
    price_date: date | None = Field(description="Day of the observation used.")
    price_source: Literal["manual", "feed", "trade"] | None = Field(
        description="Where the price came from: a manual price, a stored feed close, or the "
        "price of your own trade (the lowest rank on one day)."
    )
    staleness_days: int | None = Field(description="Days between price_date and today.")
    fx_rate: Quantity | None = Field(description="price_currency -> base, valid today.")
    fx_as_of: date | None
    market_value: Money | None = Field(description="Base currency; null when unknown.")
    cost_basis: Money | None = Field(description="Base, each lot at its buy date's rate.")
    unrealized_pnl: Money | None
    unrealized_pnl_pct: Ratio | None
    realized_pnl: Money | None
    weight: Ratio | None
    day_change: Money | None = Field(
        description="Value today - value yesterday - today's net flow (buys minus proceeds)."
    )
    day_change_pct: Ratio | None = Field(description="Over yesterday's value + today's buys.")
    attribution: Attribution | None = Field(
        description="Only for an open holding whose currency is not the base."
    )
    unpriced_reason: Literal["no_price", "no_rate"] | None = Field(
        description="Why market_value is null: no stored or manual price, or no exchange rate."
    )


class AllocationOut(BaseModel):
    key: str
    market_value: Money
    weight: Ratio


class CurrencyAmountOut(BaseModel):
    currency: str
    amount: Money


class PortfolioOut(BaseModel):
    base_currency: str
    on: date = Field(description="Valuation date: today in the user's time zone.")
    total_market_value: Money = Field(description="Priced holdings only.")
    total_cost_basis: Money = Field(description="Of the same priced holdings.")
    unrealized_pnl: Money
    unrealized_pnl_pct: Ratio | None
    realized_pnl: Money
    day_change: Money = Field(
        description="Market move today: value today - value yesterday - today's net flow."
    )
    day_change_pct: Ratio | None = Field(description="Over yesterday's value + today's buys.")
    allocation_by_type: list[AllocationOut]
    allocation_by_currency: list[AllocationOut]
    holdings: list[HoldingOut]
    unpriced_count: int = Field(description="Open holdings with market_value null.")
    unpriced_cost_basis: Money | None = Field(
        description="Their cost in the base currency, not in total_cost_basis; null when one "
        "of them has cost_basis null (its cost does not convert: see "
        "unpriced_cost_by_currency)."
    )
    unpriced_cost_by_currency: list[CurrencyAmountOut] = Field(
        description="Their cost in each trade currency, always complete."
    )
    realized_unconverted_count: int = Field(
        description="Holdings whose realised P&L lacked an exchange rate (left out)."
    )


class HistoryPointOut(BaseModel):
    date: date
    market_value: Money
    net_invested: Money = Field(description="Cumulative buys minus sale proceeds, since the start.")
    net_flow: Money = Field(description="External flow of the point's period (day/week/month).")
    twr: Ratio = Field(description="Cumulative time-weighted return since `from`.")
    unpriced_count: int
    benchmark_value: Money | None = Field(
        default=None, description="Public-market-equivalent value of the benchmark on this date."
    )


BenchmarkReason = Literal["no_data", "no_data_at_start", "no_rate", "zero_level"]


class BenchmarkOut(BaseModel):
    symbol: str
    series: str | None = Field(description="The stored series used, e.g. 'metals:XAU'.")
    value: Money | None = Field(description="What the same flows would be worth at `to`.")
    net_invested: Money | None
    gain: Money | None
    simple_return: Ratio | None
    irr: Ratio | None = Field(description="Money-weighted annual return of the benchmark.")
    price_return: Ratio | None = Field(description="The benchmark's own move from `from` to `to`.")
    reason: BenchmarkReason | None
    detail: str | None


class RealReturnOut(BaseModel):
    series: str = Field(description="CPI series used: CPI-TR for TRY, CPI-US otherwise.")
    inflation: Ratio | None = Field(description="CPI change over the range.")
    real_twr: Ratio | None = Field(description="(1 + TWR) x CPI(from) / CPI(to) - 1.")
    reason: Literal["no_cpi"] | None


class ExcludedOut(BaseModel):
    asset_id: str
    name: str
    reason: Literal["no_price", "no_rate"] = Field(
        description="no_price: no price observed yet; no_rate: no exchange rate yet into the "
        "currency (for its price or its trades)."
    )
    from_: date = Field(serialization_alias="from", description="First day left out.")
    to: date = Field(description="Last day left out (inclusive).")


class HistoryOut(BaseModel):
    base_currency: str
    from_: date = Field(serialization_alias="from")
    to: date
    interval: Literal["day", "week", "month"]
    points: list[HistoryPointOut]
    twr: Ratio | None = Field(description="Cumulative TWR over the whole range.")
    xirr: Ratio | None = Field(description="Money-weighted annual return over the range.")
    unpriced_days: int = Field(description="Days on which an asset was left out.")
    excluded: list[ExcludedOut] = Field(
        description="Assets left out of the values AND flows of some days (never valued at 0)."
    )
    benchmark: BenchmarkOut | None
    real_return: RealReturnOut
