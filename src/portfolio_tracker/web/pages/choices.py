"""What the asset and transaction forms offer to pick from, with labels in the page's language.

The values are the API's own (engine vocabulary, price sources, karat table); only the words
shown for them live here. Msgids are marked with N_ and translated where they are shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from portfolio_tracker.engine.metals import COINS, KARAT_FINENESS
from portfolio_tracker.engine.money import to_plain_str
from portfolio_tracker.engine.vocabulary import AssetType, CostBasisMethod, MetalUnit
from portfolio_tracker.prices.sources import PriceSource
from portfolio_tracker.transactions.schemas import TransactionType
from portfolio_tracker.web.forms import N_

Choices = list[tuple[str, str]]
Translate = Callable[..., str]

ASSET_TYPE_LABELS = {
    AssetType.metal: N_("Precious metal"),
    AssetType.fund: N_("Fund (TEFAS)"),
    AssetType.stock: N_("Stock"),
    AssetType.crypto: N_("Crypto"),
}
UNIT_LABELS = {
    MetalUnit.GRAM: N_("Gram"),
    MetalUnit.TROY_OUNCE: N_("Troy ounce"),
    MetalUnit.KILOGRAM: N_("Kilogram"),
    MetalUnit.CEYREK: N_("Çeyrek coin (quarter)"),
    MetalUnit.YARIM: N_("Yarım coin (half)"),
    MetalUnit.TAM: N_("Tam coin (full)"),
    MetalUnit.CUMHURIYET: N_("Cumhuriyet / Ata coin"),
    MetalUnit.GREMSE: N_("Gremse coin (2.5)"),
}
SOURCE_LABELS = {
    PriceSource.auto: N_("Automatic (by type and ticker)"),
    PriceSource.manual: N_("Manual prices only"),
    PriceSource.tefas: "TEFAS",
    PriceSource.yahoo: "Yahoo Finance",
    PriceSource.stooq: "Stooq",
    PriceSource.coingecko: "CoinGecko",
    PriceSource.metals: N_("Metal spot price"),
}
METHOD_LABELS = {
    CostBasisMethod.fifo: N_("FIFO: oldest lots first"),
    CostBasisMethod.average: N_("Moving average cost"),
    CostBasisMethod.lifo: N_("LIFO: newest lots first"),
    CostBasisMethod.hifo: N_("HIFO: highest cost first"),
    CostBasisMethod.specific: N_("Specific lots (named by each sale)"),
}
TRADE_LABELS = {TransactionType.buy: N_("Buy"), TransactionType.sell: N_("Sell")}
# Bars and grams besides the karat table: investment bars (999.9, 999) and sterling silver.
_BAR_FINENESS = (Decimal("0.9999"), Decimal("0.999"), Decimal("0.925"))
CURRENCIES = ("TRY", "USD", "EUR", "GBP", "CHF")
# The services' own words these forms show (the "what" before ": why" is translated).
SERVICE_MESSAGES = (N_("must not be in the future"),)


def asset_types(_: Translate) -> Choices:
    return [(kind.value, _(label)) for kind, label in ASSET_TYPE_LABELS.items()]


def metal_units(_: Translate) -> Choices:
    units = [(unit.value, _(label)) for unit, label in UNIT_LABELS.items()]
    return [("", _("— (metals only)")), *units]


def price_sources(_: Translate) -> Choices:
    return [(source.value, _(label)) for source, label in SOURCE_LABELS.items()]


def cost_basis_methods(_: Translate) -> Choices:
    return [(method.value, _(label)) for method, label in METHOD_LABELS.items()]


def trade_types(_: Translate) -> Choices:
    return [(kind.value, _(label)) for kind, label in TRADE_LABELS.items()]


def purities(_: Translate, current: str = "") -> Choices:
    """Fineness values: the coin standard or pure metal (blank), bars, then karats."""
    options = [("", _("Pure metal, or the coin's own standard"))]
    options += [(to_plain_str(f), to_plain_str(f)) for f in _BAR_FINENESS]
    for karat, fineness in sorted(KARAT_FINENESS.items(), reverse=True):
        text = _("%(karat)sk (%(fineness)s)", karat=karat, fineness=to_plain_str(fineness))
        options.append((to_plain_str(fineness), text))
    if current and current not in {value for value, _label in options}:
        options.append((current, current))  # a stored value not in the list stays selectable
    return options


def currencies(current: str = "") -> Choices:
    codes = list(CURRENCIES)
    if current and current not in codes:
        codes.append(current)
    return [(code, code) for code in codes]


def is_coin(unit: str | None) -> bool:
    return unit in {coin.value for coin in COINS}


_DECIMAL_COMMA = re.compile(r"^\s*[0-9]+,[0-9]+\s*$")


def typed_decimal(text: str) -> str:
    """A number as typed: "2500,50" (a Turkish keyboard's decimal comma, no grouping) is read
    as 2500.50; anything else goes to the schema as typed, which decides whether it is valid."""
    return text.replace(",", ".") if _DECIMAL_COMMA.match(text) else text
