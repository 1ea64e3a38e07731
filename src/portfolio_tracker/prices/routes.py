"""The prices API: latest fund, stock, metal, crypto prices and exchange rates.

Every route is authenticated and rate limited per user. Answers carry
`Cache-Control: private, max-age=<seconds the quote stays fresh>` (0 for a stale answer).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED
from portfolio_tracker.engine.money import to_plain_str
from portfolio_tracker.engine.vocabulary import MetalUnit
from portfolio_tracker.prices.deps import PriceCaller, Prices
from portfolio_tracker.prices.schemas import (
    CryptoSymbol,
    Currency,
    FundCode,
    MetalPriceOut,
    MetalSymbol,
    PriceOut,
    StockSymbol,
    Unit,
)
from portfolio_tracker.prices.service import PriceAnswer
from portfolio_tracker.prices.sources import PriceKind

router = APIRouter(prefix="/api/prices", tags=["prices"])

ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_AUTHENTICATED,
    404: {"description": "No source knows this symbol"},
    429: {"description": "Too many price requests (see Retry-After)"},
    503: {"description": "The feed is unreachable and no price is stored"},
}


def _out(answer: PriceAnswer, response: Response) -> dict[str, Any]:
    # Overrides the app-wide `no-store` of /api/ (the middleware only sets a default).
    response.headers["Cache-Control"] = f"private, max-age={answer.max_age}"
    body: dict[str, Any] = {
        "symbol": answer.symbol,
        "price": to_plain_str(answer.price),
        "currency": answer.currency,
        "as_of": answer.as_of,
        "source": answer.source,
        "stale": answer.stale,
    }
    if answer.unit is not None:
        body["unit"] = answer.unit
    return body


@router.get("/metal", response_model=MetalPriceOut, responses=ERRORS)
def metal_price(
    _caller: PriceCaller,
    db: DbSession,
    prices: Prices,
    response: Response,
    symbol: MetalSymbol,
    unit: Unit = MetalUnit.TROY_OUNCE,
    currency: Currency = "USD",
) -> dict[str, Any]:
    """Gold (XAU) or silver (XAG): spot per troy ounce in USD, or per `unit` (gram,
    kilogram, a Turkish gold coin) in `currency`, converted at the latest stored or fetched
    USD rate."""
    answer = prices.service.metal(db, symbol.value, unit, currency.upper())
    return _out(answer, response)


@router.get("/fund", response_model=PriceOut, responses=ERRORS)
def fund_price(
    _caller: PriceCaller, db: DbSession, prices: Prices, response: Response, code: FundCode
) -> dict[str, Any]:
    """The latest NAV of a TEFAS fund, in TRY."""
    return _out(prices.service.latest(db, PriceKind.fund, code), response)


@router.get("/stock", response_model=PriceOut, responses=ERRORS)
def stock_price(
    _caller: PriceCaller,
    db: DbSession,
    prices: Prices,
    response: Response,
    symbol: StockSymbol,
) -> dict[str, Any]:
    """The latest price of a stock (Yahoo Finance, Stooq as fallback), in its currency."""
    return _out(prices.service.latest(db, PriceKind.stock, symbol), response)


@router.get("/crypto", response_model=PriceOut, responses=ERRORS)
def crypto_price(
    _caller: PriceCaller,
    db: DbSession,
    prices: Prices,
    response: Response,
    symbol: CryptoSymbol,
) -> dict[str, Any]:
    """The latest price of a coin in USD (CoinGecko)."""
    return _out(prices.service.latest(db, PriceKind.crypto, symbol), response)


@router.get("/fx", response_model=PriceOut, responses=ERRORS)
def fx_rate(
    _caller: PriceCaller,
    db: DbSession,
    prices: Prices,
    response: Response,
    base: Currency,
    quote: Currency,
) -> dict[str, Any]:
    """How many `quote` one `base` is worth (TCMB for TRY pairs, ECB otherwise)."""
    return _out(prices.service.fx_rate(db, base, quote), response)
