"""Response bodies and query parameter types of the prices API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from portfolio_tracker.engine.vocabulary import MetalUnit

StockSymbol = Annotated[
    str,
    Query(
        min_length=1,
        max_length=25,
        pattern=r"^[A-Za-z0-9^][A-Za-z0-9.=\-^]*$",
        description="Ticker as Yahoo Finance spells it: THYAO.IS (Borsa Istanbul), AAPL.",
    ),
]
FundCode = Annotated[
    str,
    Query(
        min_length=2,
        max_length=6,
        pattern=r"^[A-Za-z0-9]+$",
        description="TEFAS fund code, e.g. YAC.",
    ),
]
CryptoSymbol = Annotated[
    str,
    Query(
        min_length=1,
        max_length=15,
        pattern=r"^[A-Za-z0-9]+$",
        description="Coin ticker, e.g. BTC, ETH (priced in USD).",
    ),
]


class MetalCode(StrEnum):
    """The metals priced: an enum, so a wrong symbol is told which ones exist."""

    XAU = "XAU"
    XAG = "XAG"

    @classmethod
    def _missing_(cls, value: object) -> MetalCode | None:
        # Case does not matter: xau is XAU.
        return cls.__members__.get(value.upper()) if isinstance(value, str) else None


MetalSymbol = Annotated[MetalCode, Query(description="XAU (gold) or XAG (silver).")]
Currency = Annotated[
    str,
    Query(
        min_length=3,
        max_length=3,
        pattern=r"^[A-Za-z]{3}$",
        description="ISO 4217 code, e.g. TRY, USD, EUR.",
    ),
]
Unit = Annotated[
    MetalUnit,
    Query(
        description="One troy ounce, gram or kilogram of pure metal, or a Turkish gold coin "
        "(ceyrek, yarim, tam, cumhuriyet, gremse) by its standard weight and fineness.",
    ),
]


class PriceOut(BaseModel):
    symbol: str
    price: str = Field(description="Decimal as a string, in `currency`.")
    currency: str
    as_of: datetime = Field(description="When the price was valid, per its source (UTC).")
    source: str = Field(
        description="Where the price came from, e.g. tefas, yahoo, "
        "yahoo:GC=F, coingecko, tcmb, ecb."
    )
    stale: bool = Field(
        description="True when the feed is unreachable and this is the last stored price."
    )


class MetalPriceOut(PriceOut):
    unit: str = Field(description="The unit `price` is for.")
