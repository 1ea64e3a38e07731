"""Precious metals the way Turkish investors hold them: weights, purity, and coins.

A holding is ``quantity`` of a ``MetalUnit`` at some fineness (fraction of pure metal, in (0, 1]).
Spot prices are per troy ounce of pure metal (XAU = gold, XAG = silver), so everything is
reduced to fine troy ounces: ``quantity * grams per unit * fineness / 31.1034768``.

Reference values (documented here because they decide every valuation):

- 1 troy ounce = 31.1034768 g exactly (international definition); 1 kg = 1000 g.
- Karat to fineness, as stamped on Turkish and international hallmarks:
  24k = 0.995 (Turkish "has"/gram altın is sold at 995; 999.9 bars are entered as "999.9"),
  22k = 0.916, 21k = 0.875, 18k = 0.750, 14k = 0.585, 10k = 0.417, 9k = 0.375, 8k = 0.333.
  22k is 22/24 ≈ 0.9167 in theory; the market and the 916 stamp use 0.916, and so do we, so
  our gram figures match what a jeweller computes.
- Turkish gold coins (Darphane "ziynet" series and Ata lira), 22 ayar, gross weight:
  çeyrek 1.754 g, yarım 3.508 g, tam 7.016 g, gremse (iki buçuk) 17.54 g, and
  cumhuriyet/ata lira 7.216 g. Fine gold in a çeyrek: 1.754 × 0.916 = 1.606664 g.
  Coins exist only in gold here: a silver "çeyrek" is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext

from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.vocabulary import Metal, MetalUnit

__all__ = [
    "COINS",
    "KARAT_FINENESS",
    "TROY_OUNCE_GRAMS",
    "CoinSpec",
    "Metal",
    "MetalUnit",
    "fine_grams",
    "fine_troy_ounces",
    "parse_metal",
    "parse_purity",
    "parse_unit",
    "unit_price_from_spot",
]

TROY_OUNCE_GRAMS = Decimal("31.1034768")


@dataclass(frozen=True, slots=True)
class CoinSpec:
    gross_grams: Decimal
    fineness: Decimal


KARAT_FINENESS: dict[int, Decimal] = {
    24: Decimal("0.995"),
    22: Decimal("0.916"),
    21: Decimal("0.875"),
    18: Decimal("0.750"),
    14: Decimal("0.585"),
    10: Decimal("0.417"),
    9: Decimal("0.375"),
    8: Decimal("0.333"),
}

_COIN_FINENESS = KARAT_FINENESS[22]
COINS: dict[MetalUnit, CoinSpec] = {
    MetalUnit.CEYREK: CoinSpec(Decimal("1.754"), _COIN_FINENESS),
    MetalUnit.YARIM: CoinSpec(Decimal("3.508"), _COIN_FINENESS),
    MetalUnit.TAM: CoinSpec(Decimal("7.016"), _COIN_FINENESS),
    MetalUnit.CUMHURIYET: CoinSpec(Decimal("7.216"), _COIN_FINENESS),
    MetalUnit.GREMSE: CoinSpec(Decimal("17.54"), _COIN_FINENESS),
}

_BAR_GRAMS: dict[MetalUnit, Decimal] = {
    MetalUnit.GRAM: Decimal(1),
    MetalUnit.TROY_OUNCE: TROY_OUNCE_GRAMS,
    MetalUnit.KILOGRAM: Decimal(1000),
}

# What people type, in both languages, besides the enum values themselves.
_UNIT_ALIASES: dict[str, MetalUnit] = {
    "g": MetalUnit.GRAM,
    "gr": MetalUnit.GRAM,
    "grams": MetalUnit.GRAM,
    "oz": MetalUnit.TROY_OUNCE,
    "ozt": MetalUnit.TROY_OUNCE,
    "ons": MetalUnit.TROY_OUNCE,
    "troy ounce": MetalUnit.TROY_OUNCE,
    "kg": MetalUnit.KILOGRAM,
    "çeyrek": MetalUnit.CEYREK,
    "yarım": MetalUnit.YARIM,
    "ata": MetalUnit.CUMHURIYET,
    "ata lira": MetalUnit.CUMHURIYET,
    "iki buçuk": MetalUnit.GREMSE,
}

_METAL_ALIASES: dict[str, Metal] = {
    "xau": Metal.XAU,
    "gold": Metal.XAU,
    "altın": Metal.XAU,
    "altin": Metal.XAU,
    "xag": Metal.XAG,
    "silver": Metal.XAG,
    "gümüş": Metal.XAG,
    "gumus": Metal.XAG,
}


def parse_unit(unit: MetalUnit | str) -> MetalUnit:
    """A MetalUnit from itself, its value, or a common alias ("g", "oz", "çeyrek", "ata")."""
    if isinstance(unit, MetalUnit):
        return unit
    if isinstance(unit, str):
        key = " ".join(unit.strip().lower().replace("_", " ").split())
        found = _UNIT_ALIASES.get(key)
        if found is not None:
            return found
        try:
            return MetalUnit(key.replace(" ", "_"))
        except ValueError:
            pass
    raise ValueError(f"unknown metal unit {unit!r}")


def parse_metal(metal: Metal | str) -> Metal:
    """A Metal from "XAU"/"XAG" or a plain name in English or Turkish."""
    if isinstance(metal, Metal):
        return metal
    if isinstance(metal, str):
        found = _METAL_ALIASES.get(metal.strip().lower())
        if found is not None:
            return found
    raise ValueError(f"unknown metal {metal!r}: expected XAU (gold) or XAG (silver)")


_PURITY = re.compile(r"(%)?(\d+(?:\.\d+)?)(%|k|kt|karat|ayar|ct)?")


def parse_purity(text: str) -> Decimal:
    """Fineness in (0, 1] from "24k", "22K", "18 ayar", "916", "999.9", "0.995", "99.99%".

    Bare numbers: up to 1 is a fraction, a karat from the table (8–24) is a karat, 100–1000 is
    millesimal. Anything else is ambiguous and refused rather than guessed.
    """
    if not isinstance(text, str):
        raise ValueError(f"purity must be text, got {type(text).__name__}")
    compact = "".join(text.split()).lower().replace(",", ".")
    match = _PURITY.fullmatch(compact)
    if match is None:
        raise ValueError(f"unreadable purity {text!r}")
    leading_percent, number, suffix = match.groups()
    value = Decimal(number)
    if leading_percent and suffix:
        raise ValueError(f"unreadable purity {text!r}")
    if suffix in ("k", "kt", "karat", "ayar", "ct") or (
        suffix is None and "." not in number and int(value) in KARAT_FINENESS
    ):
        if "." in number or int(value) not in KARAT_FINENESS:
            raise ValueError(f"unknown karat in {text!r}; known: {sorted(KARAT_FINENESS)}")
        return KARAT_FINENESS[int(value)]
    with localcontext(ENGINE_CONTEXT):
        if leading_percent or suffix == "%":
            fineness = value / 100
        elif value <= 1:
            fineness = value
        elif 100 <= value <= 1000:
            fineness = value / 1000
        else:
            raise ValueError(f"ambiguous purity {text!r}: write e.g. '22k', '916' or '0.916'")
    if not 0 < fineness <= 1:
        raise ValueError(f"purity {text!r} is outside (0, 1]")
    return fineness


def _checked_decimal(name: str, value: object) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite Decimal >= 0, got {value!r}")
    return value


def _grams_and_fineness(
    unit: MetalUnit | str, fineness: Decimal | None, metal: Metal | str
) -> tuple[Decimal, Decimal]:
    unit = parse_unit(unit)
    metal = parse_metal(metal)
    coin = COINS.get(unit)
    if coin is not None:
        if metal is not Metal.XAU:
            raise ValueError(f"{unit.value} is a gold coin; there is no {metal.value} {unit.value}")
        # A coin's fineness is part of what it is; a different figure is a data error.
        if fineness is not None and fineness != coin.fineness:
            raise ValueError(f"{unit.value} is minted at fineness {coin.fineness}, not {fineness}")
        return coin.gross_grams, coin.fineness
    if fineness is None:
        return _BAR_GRAMS[unit], Decimal(1)
    fineness = _checked_decimal("fineness", fineness)
    if not 0 < fineness <= 1:
        raise ValueError(f"fineness must be in (0, 1], got {fineness}")
    return _BAR_GRAMS[unit], fineness


def fine_grams(
    quantity: Decimal,
    unit: MetalUnit | str,
    fineness: Decimal | None = None,
    *,
    metal: Metal | str = Metal.XAU,
) -> Decimal:
    """Grams of pure metal in ``quantity`` units (coins carry their own fineness)."""
    quantity = _checked_decimal("quantity", quantity)
    grams, fine = _grams_and_fineness(unit, fineness, metal)
    with localcontext(ENGINE_CONTEXT):
        return quantity * grams * fine


def fine_troy_ounces(
    quantity: Decimal,
    unit: MetalUnit | str,
    fineness: Decimal | None = None,
    *,
    metal: Metal | str = Metal.XAU,
) -> Decimal:
    """Troy ounces of pure metal in ``quantity`` units; an explicit fineness overrides the
    default of 1 for bars, grams and ounces, and must match a coin's own fineness."""
    quantity = _checked_decimal("quantity", quantity)
    grams, fine = _grams_and_fineness(unit, fineness, metal)
    with localcontext(ENGINE_CONTEXT):
        if grams == TROY_OUNCE_GRAMS:
            return quantity * fine  # no division, so 1 oz at fineness 1 is exactly 1
        return quantity * grams * fine / TROY_OUNCE_GRAMS


def unit_price_from_spot(
    spot_per_troy_ounce: Decimal,
    unit: MetalUnit | str,
    fineness: Decimal | None = None,
    *,
    metal: Metal | str = Metal.XAU,
) -> Decimal:
    """Price of one ``unit`` from a spot price per troy ounce of pure metal (full precision)."""
    spot = _checked_decimal("spot_per_troy_ounce", spot_per_troy_ounce)
    ounces = fine_troy_ounces(Decimal(1), unit, fineness, metal=metal)
    with localcontext(ENGINE_CONTEXT):
        return spot * ounces
