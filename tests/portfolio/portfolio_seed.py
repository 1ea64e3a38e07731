"""Seeding stored prices and rates straight into the database, as the feeds would.

Not a conftest.py: conftest modules are not importable helpers (see tests/support.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import ExchangeRate, PriceHistory
from portfolio_tracker.db.versions import bump_prices


@dataclass
class Store:
    engine: Engine

    def prices(
        self, symbol: str, source: str, currency: str, closes: Iterable[tuple[str, str]]
    ) -> None:
        rows = [
            {
                "symbol": symbol,
                "source": source,
                "day": date.fromisoformat(d),
                "close": Decimal(c),
                "currency": currency,
            }
            for d, c in closes
        ]
        with Session(self.engine) as db:
            db.execute(insert(PriceHistory), rows)
            bump_prices(db)
            db.commit()

    def rates(self, base: str, quote: str, rates: Iterable[tuple[str, str]]) -> None:
        rows = [
            {
                "day": date.fromisoformat(d),
                "base": base,
                "quote": quote,
                "rate": Decimal(r),
                "source": "tcmb",
            }
            for d, r in rates
        ]
        with Session(self.engine) as db:
            db.execute(insert(ExchangeRate), rows)
            bump_prices(db)
            db.commit()


@pytest.fixture(name="store")
def store_fixture(engine: Engine) -> Store:
    return Store(engine)
