"""Gold and silver (XAU, XAG) in USD per troy ounce, through a stock-style provider.

No free spot source is both keyless and reliable (docs/price-feeds.md, "Gold and silver"):
Yahoo's ``XAUUSD=X`` has no usable history, so we read COMEX front-month futures ``GC=F``/``SI=F``
(close to spot, usually a few dollars above) and fall back to Stooq's spot ``xauusd``.
The ``source`` of every price says which instrument it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal

from portfolio_tracker.prices.providers.base import (
    PricePoint,
    PriceProvider,
    Quote,
    SymbolNotFound,
)
from portfolio_tracker.prices.providers.validation import (
    PriceBounds,
    check_currency,
    check_price,
    reject,
    skip_point,
)

YAHOO_FUTURES = {"XAU": "GC=F", "XAG": "SI=F"}
STOOQ_SPOT = {"XAU": "XAU", "XAG": "XAG"}  # StooqProvider maps these to xauusd/xagusd
# USD per troy ounce. Wide on purpose: only a unit or decimal error lands outside.
METAL_BOUNDS = {
    "XAU": PriceBounds(Decimal(100), Decimal(100_000)),
    "XAG": PriceBounds(Decimal(1), Decimal(2_000)),
}
CURRENCY = "USD"


class MetalsProvider:
    """XAU/XAG quotes from ``inner`` under the instrument names in ``instruments``."""

    def __init__(self, inner: PriceProvider, instruments: Mapping[str, str]) -> None:
        self._inner = inner
        self._instruments = dict(instruments)

    @property
    def name(self) -> str:
        return self._inner.name

    def latest(self, symbol: str) -> Quote:
        metal, instrument = self._instrument(symbol)
        quote = self._inner.latest(instrument)
        source = f"{self._inner.name}:{instrument}"
        try:
            check_currency(quote.currency, CURRENCY)
            check_price(quote.price, METAL_BOUNDS[metal])
        except ValueError as exc:
            raise reject(source, metal, str(exc)) from None
        return replace(quote, symbol=metal, source=source)

    def history(self, symbol: str, start: date, end: date) -> list[PricePoint]:
        metal, instrument = self._instrument(symbol)
        source = f"{self._inner.name}:{instrument}"
        points: list[PricePoint] = []
        for point in self._inner.history(instrument, start, end):
            try:
                check_currency(point.currency, CURRENCY)
                check_price(point.close, METAL_BOUNDS[metal])
            except ValueError as exc:
                skip_point(source, metal, point.day.isoformat(), str(exc))
                continue
            points.append(replace(point, symbol=metal, source=source))
        return points

    def _instrument(self, symbol: str) -> tuple[str, str]:
        metal = symbol.strip().upper()
        if metal not in self._instruments:
            raise SymbolNotFound(self._inner.name, symbol, "metals are XAU and XAG")
        return metal, self._instruments[metal]
