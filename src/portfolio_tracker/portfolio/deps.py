"""The portfolio cache as a request dependency (``app.state.portfolio_cache``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from portfolio_tracker.api.deps import from_state
from portfolio_tracker.portfolio.cache import PortfolioCache


def portfolio_cache(request: Request) -> PortfolioCache:
    return from_state(request, "portfolio_cache", PortfolioCache)


Cache = Annotated[PortfolioCache, Depends(portfolio_cache)]
