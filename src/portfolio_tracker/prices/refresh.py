"""Refresh and backfill every price the app needs: the symbols of all assets and the FX rates.

Each symbol gets its own database transaction and its own error handling: one feed failing
is logged, counted and reported, and never stops the others. Used by the CLI
(``portfolio-tracker prices refresh|backfill``), the asset-creation background task and the
scheduled job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.db.models import Asset, UserSettings
from portfolio_tracker.prices.providers.base import PriceFeedError, SymbolNotFound
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.prices.sources import FeedSymbol, PriceKind, feed_symbol_of

logger = logging.getLogger(__name__)

# Always kept: what the product's TRY/USD/EUR views need, whatever the assets are.
CORE_PAIRS = ("USDTRY", "EURTRY", "EURUSD")
DEFAULT_BACKFILL_YEARS = 10


@dataclass(frozen=True, slots=True)
class ItemResult:
    kind: str
    symbol: str
    ok: bool
    rows: int
    detail: str


@dataclass(slots=True)
class RefreshReport:
    items: list[ItemResult] = field(default_factory=list)

    @property
    def succeeded(self) -> int:
        return sum(1 for item in self.items if item.ok)

    @property
    def failed(self) -> int:
        return sum(1 for item in self.items if not item.ok)

    @property
    def all_failed(self) -> bool:
        return bool(self.items) and self.succeeded == 0


def symbols_in_use(db: Session) -> list[FeedSymbol]:
    """Every (kind, symbol) some asset is priced by, in a stable order."""
    rows = db.execute(
        select(Asset.type, Asset.ticker_symbol, Asset.price_source).distinct()
    ).all()
    found = {feed_symbol_of(r.type, r.ticker_symbol, r.price_source) for r in rows}
    return sorted((f for f in found if f is not None), key=lambda f: (f.kind, f.symbol))


def fx_pairs_in_use(db: Session) -> list[str]:
    """USD/TRY, EUR/TRY, EUR/USD, and for every other currency of an asset or a user's base
    currency: that currency against TRY and USD against it."""
    currencies = set(db.scalars(select(Asset.currency).distinct()))
    currencies |= set(db.scalars(select(UserSettings.base_currency).distinct()))
    pairs = list(CORE_PAIRS)
    for code in sorted(c.upper() for c in currencies if c):
        for pair in (f"{code}TRY", f"USD{code}"):
            if code not in ("TRY", "USD") and pair not in pairs:
                pairs.append(pair)
    return pairs


def refresh_latest(factory: sessionmaker[Session], service: PriceService) -> RefreshReport:
    """The latest quote of every symbol in use and every FX pair, each stored."""
    with factory() as db:
        targets = [*symbols_in_use(db), *(FeedSymbol(PriceKind.fx, p) for p in fx_pairs_in_use(db))]
    report = RefreshReport()
    for target in targets:
        with factory() as db:
            try:
                quote = service.fetch_and_store(db, target.kind, target.symbol)
            except PriceFeedError as exc:
                db.rollback()
                report.items.append(_failure(target, exc))
                continue
            except Exception as exc:  # a database error must not stop the other symbols
                db.rollback()
                logger.exception("prices: refresh of %s %s failed", target.kind, target.symbol)
                report.items.append(ItemResult(target.kind.value, target.symbol, False, 0,
                                               f"error: {type(exc).__name__}"))
                continue
        report.items.append(ItemResult(target.kind.value, target.symbol, True, 1,
                                       f"{quote.price} {quote.currency} ({quote.source})"))
    return report


def backfill(factory: sessionmaker[Session], service: PriceService,
             targets: Iterable[FeedSymbol] | None = None,
             years: int = DEFAULT_BACKFILL_YEARS, *, background: bool = False) -> RefreshReport:
    """Daily history of ``targets`` (default: every symbol in use and every FX pair) over
    the last ``years`` years, as far back as each source has it."""
    if targets is None:
        with factory() as db:
            targets = [*symbols_in_use(db),
                       *(FeedSymbol(PriceKind.fx, p) for p in fx_pairs_in_use(db))]
    end = service.today()
    start = end - timedelta(days=round(365.25 * years))
    report = RefreshReport()
    for target in targets:
        with factory() as db:
            try:
                rows = service.backfill(db, target.kind, target.symbol, start, end,
                                        background=background)
            except PriceFeedError as exc:
                db.rollback()
                report.items.append(_failure(target, exc))
                continue
            except Exception as exc:
                db.rollback()
                logger.exception("prices: backfill of %s %s failed", target.kind, target.symbol)
                report.items.append(ItemResult(target.kind.value, target.symbol, False, 0,
                                               f"error: {type(exc).__name__}"))
                continue
        report.items.append(ItemResult(target.kind.value, target.symbol, True, rows,
                                       f"{start}..{end}"))
    return report


def backfill_new_asset(factory: sessionmaker[Session], service: PriceService, asset_type: str,
                       ticker: str | None, price_source: str | None,
                       years: int = DEFAULT_BACKFILL_YEARS) -> None:
    """Background task after an asset is created: its history, if a feed prices it.
    Never raises: the asset exists whatever the feeds say."""
    target = feed_symbol_of(asset_type, ticker, price_source)
    if target is None:
        return
    try:
        report = backfill(factory, service, [target], years, background=True)
    except Exception:
        logger.exception("prices: backfill of new asset %s %s failed", target.kind, target.symbol)
        return
    for item in report.items:
        logger.info("prices: backfill of new asset %s %s: %s, %d rows, %s", item.kind,
                    item.symbol, "ok" if item.ok else "failed", item.rows, item.detail)


def _failure(target: FeedSymbol, exc: PriceFeedError) -> ItemResult:
    what = "unknown symbol" if isinstance(exc, SymbolNotFound) else type(exc).__name__
    return ItemResult(target.kind.value, target.symbol, False, 0, f"{what}: {exc.detail[:160]}")
