"""Which feed prices what: asset type + ticker + price source → a feed symbol, and the
names rows are stored under (docs/price-storage.md). Pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PriceKind(StrEnum):
    fund = "fund"
    stock = "stock"
    metal = "metal"
    crypto = "crypto"
    fx = "fx"


# price_history sources a kind's stored closes are read from, in order of preference.
STORED_SOURCES: dict[PriceKind, tuple[str, ...]] = {
    PriceKind.fund: ("tefas",),
    PriceKind.stock: ("yahoo", "stooq"),
    PriceKind.metal: ("metals",),
    PriceKind.crypto: ("coingecko",),
}
# The feed an `auto` asset of each type resolves to.
AUTO_SOURCE = {"fund": "tefas", "stock": "yahoo", "crypto": "coingecko", "metal": "metals"}
FEED_KIND = {
    "tefas": PriceKind.fund,
    "yahoo": PriceKind.stock,
    "stooq": PriceKind.stock,
    "coingecko": PriceKind.crypto,
    "metals": PriceKind.metal,
}
# Feeds that `auto` only reaches through a fallback chain (stocks: Yahoo, then Stooq). An
# asset that names one of them explicitly is fetched from that feed alone, so its rows land
# under the source the portfolio reads for it (docs/price-storage.md).
SINGLE_FEEDS = frozenset({"yahoo", "stooq"})


@dataclass(frozen=True, slots=True)
class FeedSymbol:
    """What to fetch. ``source``: one feed chosen explicitly (``yahoo``, ``stooq``; for FX
    ``tcmb``, ``ecb``), or None for the kind's usual provider (its fallback chain)."""

    kind: PriceKind
    symbol: str
    source: str | None = None


def storage_source(kind: PriceKind, feed_source: str) -> str:
    """The price_history source of a feed answer: metals are stored under ``metals``
    whichever instrument answered (``yahoo:GC=F``, ``stooq:XAU``)."""
    if kind is PriceKind.metal:
        return "metals"
    return feed_source


def metal_symbol(ticker: str | None) -> str:
    return "XAG" if (ticker or "").strip().upper() == "XAG" else "XAU"


def effective_price_source(
    asset_type: str, ticker: str | None, price_source: str | None
) -> str | None:
    """The feed an asset's price comes from (``manual`` when the user chose so), or None
    when nothing can price it automatically (no ticker)."""
    chosen = price_source or "auto"
    if chosen == "manual":
        return "manual"
    feed = AUTO_SOURCE.get(asset_type) if chosen == "auto" else chosen
    if feed is None or feed not in FEED_KIND:
        return None
    if feed != "metals" and not (ticker or "").strip():
        return None
    return feed


def feed_symbol_of(
    asset_type: str, ticker: str | None, price_source: str | None
) -> FeedSymbol | None:
    """What to fetch for an asset, or None for manual prices and assets without a ticker."""
    feed = effective_price_source(asset_type, ticker, price_source)
    if feed is None or feed == "manual":
        return None
    kind = FEED_KIND[feed]
    if kind is PriceKind.metal:
        return FeedSymbol(kind, metal_symbol(ticker))
    explicit = feed if (price_source or "auto") != "auto" and feed in SINGLE_FEEDS else None
    return FeedSymbol(kind, (ticker or "").strip().upper(), explicit)


def stored_sources_of(target: FeedSymbol) -> tuple[str, ...]:
    """The price_history sources the rows fetched for ``target`` are stored under."""
    if target.source is not None:
        return (storage_source(target.kind, target.source),)
    return STORED_SOURCES.get(target.kind, ())
