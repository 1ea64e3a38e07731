"""The words every layer shares: asset types, metals and the units metal is counted in.

Pure vocabulary, no behaviour: the API schemas, the price service and the portfolio loader
all import these enums from here (the engine may import nothing outside itself, so the
shared words live on its side). Values are what the database stores and the API carries.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AssetType", "CorporateActionKind", "CostBasisMethod", "Metal", "MetalUnit"]


# What kind of thing an asset is; decides which feed can price it. (No docstring: it would
# become the description of the type in the OpenAPI document.)
class AssetType(StrEnum):
    metal = "metal"
    stock = "stock"
    fund = "fund"
    crypto = "crypto"


class Metal(StrEnum):
    """A precious metal by its ISO 4217 code; spot is quoted per troy ounce of pure metal."""

    XAU = "XAU"  # gold
    XAG = "XAG"  # silver

    @classmethod
    def of_ticker(cls, ticker: str | None) -> Metal:
        """The metal a metal asset's ticker names: XAG for silver, gold otherwise."""
        return cls.XAG if (ticker or "").strip().upper() == cls.XAG else cls.XAU


class MetalUnit(StrEnum):
    """How a metal asset's quantity is counted (coins are Turkish gold coins)."""

    GRAM = "gram"
    TROY_OUNCE = "troy_ounce"
    KILOGRAM = "kilogram"
    CEYREK = "ceyrek"
    YARIM = "yarim"
    TAM = "tam"
    CUMHURIYET = "cumhuriyet"
    GREMSE = "gremse"


# How a sell picks the lots it consumes (engine.methods.run_lots). No docstring: it would
# become the description of the type in the OpenAPI document.
class CostBasisMethod(StrEnum):
    fifo = "fifo"  # oldest lot first (the default)
    average = "average"  # moving weighted average; resets when the quantity reaches zero
    lifo = "lifo"  # newest lot first
    hifo = "hifo"  # highest unit cost first (fees included); ties: older first
    specific = "specific"  # the sell names its lots; FIFO for a sell that names none


# A corporate action that changes every open lot's quantity by numerator/denominator.
class CorporateActionKind(StrEnum):
    SPLIT = "split"  # numerator > denominator (a 2-for-1 split is 2/1)
    REVERSE_SPLIT = "reverse_split"  # numerator < denominator (1-for-10 is 1/10)
    BONUS = "bonus"  # bonus issue of p %: (100 + p)/100
