"""Which feed prices what: asset type + ticker + price source → a feed symbol, and the
names rows are stored under (docs/price-storage.md). Pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portfolio_tracker.engine.vocabulary import AssetType, Metal


class PriceKind(StrEnum):
    fund = "fund"
    stock = "stock"
    metal = "metal"
    crypto = "crypto"
    fx = "fx"


class PriceSource(StrEnum):
    """Where an asset's price comes from. `auto` picks the feed for its type and ticker."""

    auto = "auto"
    manual = "manual"
    tefas = "tefas"
    yahoo = "yahoo"
    stooq = "stooq"
    coingecko = "coingecko"
    metals = "metals"


# price_history sources a kind's stored closes are read from, in order of preference.
STORED_SOURCES: dict[PriceKind, tuple[str, ...]] = {
    PriceKind.fund: (PriceSource.tefas.value,),
    PriceKind.stock: (PriceSource.yahoo.value, PriceSource.stooq.value),
    PriceKind.metal: (PriceSource.metals.value,),
    PriceKind.crypto: (PriceSource.coingecko.value,),
}
# Stored sources whose daily closes are already split-adjusted: Yahoo's chart `close` is
# adjusted for splits (not for dividends; that is `adjclose`). Every other source's closes
# are taken as unadjusted, the price of their own day (Stooq's adjustment is unverified).
# The portfolio puts unadjusted prices on the adjusted basis itself (portfolio.loading).
SPLIT_ADJUSTED_SOURCES: frozenset[str] = frozenset({PriceSource.yahoo.value})
# The feed an `auto` asset of each type resolves to.
AUTO_SOURCE: dict[str, str] = {
    AssetType.fund: PriceSource.tefas.value,
    AssetType.stock: PriceSource.yahoo.value,
    AssetType.crypto: PriceSource.coingecko.value,
    AssetType.metal: PriceSource.metals.value,
}
FEED_KIND: dict[str, PriceKind] = {
    PriceSource.tefas: PriceKind.fund,
    PriceSource.yahoo: PriceKind.stock,
    PriceSource.stooq: PriceKind.stock,
    PriceSource.coingecko: PriceKind.crypto,
    PriceSource.metals: PriceKind.metal,
}
# Feeds that `auto` only reaches through a fallback chain (stocks: Yahoo, then Stooq). An
# asset that names one of them explicitly is fetched from that feed alone, so its rows land
# under the source the portfolio reads for it (docs/price-storage.md).
SINGLE_FEEDS = frozenset({PriceSource.yahoo, PriceSource.stooq})


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
        return FeedSymbol(kind, Metal.of_ticker(ticker).value)
    explicit = feed if (price_source or "auto") != "auto" and feed in SINGLE_FEEDS else None
    return FeedSymbol(kind, (ticker or "").strip().upper(), explicit)


def stored_sources_of(target: FeedSymbol) -> tuple[str, ...]:
    """The price_history sources the rows fetched for ``target`` are stored under."""
    if target.source is not None:
        return (storage_source(target.kind, target.source),)
    return STORED_SOURCES.get(target.kind, ())


def stored_series_of(
    asset_type: str, ticker: str | None, price_source: str | None
) -> tuple[tuple[str, str], ...]:
    """The price_history series an asset's closes are read from, as (source, symbol), most
    preferred first; () for manual prices and assets nothing can price. The price service
    stores what it fetches for the asset under exactly these (see `feed_symbol_of`)."""
    target = feed_symbol_of(asset_type, ticker, price_source)
    if target is None:
        return ()
    return tuple((source, target.symbol) for source in stored_sources_of(target))
