"""Currency pairs as the FX providers take them: ``USDTRY`` = TRY per 1 USD."""

from __future__ import annotations

import re
from decimal import Decimal

from portfolio_tracker.prices.providers.base import SymbolNotFound
from portfolio_tracker.prices.providers.validation import PriceBounds

_PAIR = re.compile(r"^([A-Z]{3})[/\-]?([A-Z]{3})$")
# Rates between real currencies stay far inside this; outside means a broken answer.
RATE_BOUNDS = PriceBounds(Decimal(0), Decimal(10_000_000))


def parse_pair(symbol: str, source: str) -> tuple[str, str]:
    """``"usd/try"`` → ``("USD", "TRY")``; SymbolNotFound for anything else."""
    match = _PAIR.match(symbol.strip().upper())
    if not match or match[1] == match[2]:
        raise SymbolNotFound(source, symbol, "not a currency pair like USDTRY")
    return match[1], match[2]
