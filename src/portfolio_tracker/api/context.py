"""What the app holds for its lifetime, built once in create_app."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.accounts.security import AuthThrottle
from portfolio_tracker.portfolio.cache import PortfolioCache
from portfolio_tracker.settings import Settings


@dataclass(slots=True)
class AppContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    auth_throttle: AuthThrottle
    portfolio_cache: PortfolioCache | None = None
