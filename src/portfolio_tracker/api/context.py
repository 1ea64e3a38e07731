"""What the app holds for its lifetime, built once in create_app."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.accounts.security import AuthThrottle
from portfolio_tracker.portfolio.cache import PortfolioCache
from portfolio_tracker.prices.providers.registry import PriceFeeds
from portfolio_tracker.prices.quote_cache import QuoteCache
from portfolio_tracker.prices.rate_limit import PriceThrottle
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.settings import Settings


@dataclass(slots=True)
class AppContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    auth_throttle: AuthThrottle
    feeds: PriceFeeds
    quote_cache: QuoteCache
    price_throttle: PriceThrottle
    price_service: PriceService
    portfolio_cache: PortfolioCache | None = None
