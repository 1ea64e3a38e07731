"""Splits the stock feed reports become suggested corporate actions of the assets it prices,
never applied; once there (or dismissed), a split is not offered again."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import httpx
import respx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import Asset, CorporateAction, User
from portfolio_tracker.prices.providers.registry import PriceFeeds
from portfolio_tracker.prices.quote_cache import InMemoryQuoteCache
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.prices.sources import PriceKind
from recordings import YAHOO, fixture_text

CHART = f"{YAHOO}/v8/finance/chart"
DIVIDENDS = '"events":{"dividends":{"1795012200":{"amount":0.26,"date":1795012200}}}'
SPLIT = (
    '"events":{"splits":{"1795098600":'
    '{"date":1795098600,"numerator":4,"denominator":1,"splitRatio":"4:1"}}}'
)


def _assets(engine: Engine) -> dict[str, uuid.UUID]:
    """Stock assets of two users priced from Yahoo's AAPL, and three that are not."""
    ids: dict[str, uuid.UUID] = {}
    with Session(engine) as db:
        for name, fields in (
            ("alice", {"type": "stock", "ticker_symbol": "AAPL", "price_source": "auto"}),
            ("bob", {"type": "stock", "ticker_symbol": "AAPL", "price_source": "yahoo"}),
            ("stooq", {"type": "stock", "ticker_symbol": "AAPL", "price_source": "stooq"}),
            ("other", {"type": "stock", "ticker_symbol": "MSFT", "price_source": "auto"}),
            ("fund", {"type": "fund", "ticker_symbol": "AAPL", "price_source": "auto"}),
        ):
            user = User(email=f"{name}-{uuid.uuid4().hex[:6]}@example.com", hashed_password="x")
            db.add(user)
            db.flush()
            asset = Asset(user_id=user.id, name=name, currency="USD", **fields)
            db.add(asset)
            db.flush()
            ids[name] = asset.id
        db.commit()
    return ids


def test_reported_splits_are_suggested_once_and_never_applied(
    engine: Engine, feeds: PriceFeeds, feed_mock: respx.MockRouter
) -> None:
    ids = _assets(engine)
    answer = fixture_text("yahoo_aapl_history.json").replace(DIVIDENDS, SPLIT)
    feed_mock.get(f"{CHART}/AAPL").mock(
        return_value=httpx.Response(200, text=answer, headers={"content-type": "application/json"})
    )
    service = PriceService(feeds, InMemoryQuoteCache(300), 300, today=lambda: date(2026, 11, 25))
    with Session(engine) as db:
        service.backfill(
            db, PriceKind.stock, "AAPL", date(2026, 11, 18), date(2026, 11, 20), source="yahoo"
        )
        rows = db.execute(
            select(
                CorporateAction.asset_id,
                CorporateAction.kind,
                CorporateAction.ex_date,
                CorporateAction.numerator,
                CorporateAction.denominator,
                CorporateAction.status,
                CorporateAction.source,
            )
        ).all()
    expected = {
        (ids[name], "split", date(2026, 11, 19), Decimal(4), Decimal(1), "suggested", "yahoo")
        for name in ("alice", "bob")
    }
    assert set(map(tuple, rows)) == expected
    # Dismissed (deleted) by one owner, confirmed by none: a second backfill adds nothing.
    with Session(engine) as db:
        row = db.scalar(select(CorporateAction).where(CorporateAction.asset_id == ids["alice"]))
        assert row is not None
        row.status = "dismissed"
        db.commit()
        service.backfill(
            db, PriceKind.stock, "AAPL", date(2026, 11, 18), date(2026, 11, 20), source="yahoo"
        )
        statuses = sorted(db.scalars(select(CorporateAction.status)).all())
    assert statuses == ["dismissed", "suggested"]
