"""The portfolio API: what it is worth now, and how it moved."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Query, Response

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED, Responses
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.api.types import (
    CURRENCY_PATTERN,
    DayText,
    JsonKeys,
    iso_currency,
    not_before_1900,
    parse_day,
    symbol_pattern,
)
from portfolio_tracker.engine.history import Interval
from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.portfolio import service
from portfolio_tracker.portfolio.deps import Cache
from portfolio_tracker.portfolio.schemas import HistoryOut, PortfolioOut

router = api_router(prefix="/api/portfolio", tags=["portfolio"])

ERRORS: Responses = {
    **NOT_AUTHENTICATED,
    422: {"description": "Invalid query parameter (the body names it)"},
}
BENCHMARK_PATTERN = symbol_pattern(40)
_BENCHMARK = re.compile(BENCHMARK_PATTERN)

CurrencyParam = Annotated[
    Annotated[str, JsonKeys(pattern=CURRENCY_PATTERN)] | None,
    Query(
        max_length=16,
        description="ISO 4217 code to value the portfolio in; default: your base currency.",
    ),
]


def _currency(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return iso_currency(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), ["query", "currency"]) from exc


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return not_before_1900(parse_day(value))
    except ValueError as exc:
        raise InvalidInput(str(exc), ["query", name]) from exc


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


@router.get("", response_model=PortfolioOut, responses=ERRORS)
def get_portfolio(
    principal: CurrentUser, db: DbSession, cache: Cache, currency: CurrencyParam = None
) -> Response:
    """Total market value, cost basis, unrealised and realised P&L, day change, allocation
    by type and by currency, and one row per holding, valued today in `currency`.

    A holding without a price (or without an exchange rate) is listed with
    `market_value: null` and an `unpriced_reason`, and left out of the totals.
    """
    body = service.portfolio_summary(db, cache, principal.user.id, _currency(currency))
    return _json(body)


@router.get("/history", response_model=HistoryOut, responses=ERRORS)
def get_history(
    principal: CurrentUser,
    db: DbSession,
    cache: Cache,
    from_: Annotated[
        DayText | None,
        Query(
            alias="from",
            max_length=32,
            description="ISO date; default: first trade's day. Not in the future, not after "
            "`to`, at most 30 years before it.",
        ),
    ] = None,
    to: Annotated[
        DayText | None,
        Query(
            max_length=32,
            description="ISO date; default: today. Not in the future.",
        ),
    ] = None,
    currency: CurrencyParam = None,
    interval: Interval = "day",
    benchmark: Annotated[
        Annotated[str, JsonKeys(pattern=BENCHMARK_PATTERN)] | None,
        Query(
            max_length=40,
            description="USDTRY, XAU, XAG, CPI, or a stored price_history symbol (e.g. "
            "XU100.IS): what your own flows would be worth had they gone into it.",
        ),
    ] = None,
) -> Response:
    """Daily (or weekly/monthly) market value, net invested and cumulative TWR, the range's
    XIRR, an optional benchmark (public-market equivalent) and the real return when a CPI
    series is stored. Weekly and monthly points are the last day of each period."""
    start, end = _day(from_, "from"), _day(to, "to")
    if start is not None and end is not None and start > end:
        raise InvalidInput("must be on or before `to`", ["query", "from"])
    name = None
    if benchmark is not None:
        if not _BENCHMARK.match(benchmark.strip()):
            raise InvalidInput("not a benchmark symbol", ["query", "benchmark"])
        name = benchmark.strip().upper()
    query = service.HistoryQuery(start, end, _currency(currency), interval, name)
    body = service.portfolio_history(db, cache, principal.user.id, query)
    return _json(body)
