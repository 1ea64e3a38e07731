"""Refresh and backfill every price the app needs: the symbols of all assets and the FX rates.

Each symbol gets its own database transaction and its own error handling: one feed failing
is logged, counted and reported, and never stops the others. Used by the CLI
(``portfolio-tracker prices refresh|backfill``), the background tasks after an asset or a
transaction is created, and the scheduled job.

An asset is fetched as ``sources.feed_symbol_of`` says: an explicit ``stooq`` or ``yahoo``
asks that feed alone, so its rows land under the source the portfolio reads.

The background tasks also fill the exchange rates an asset needs (``ensure_fx_history``):
its currency and its feed's price currency against the owner's base currency, from the ECB
history (any range, one file) and, for TRY pairs reaching today, TCMB's bulletins of the
last days (TCMB is authoritative for TRY, as in refresh). Only the part of the range that is
neither stored nor already asked for in this process is fetched.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.db.models import (
    DEFAULT_BASE_CURRENCY,
    Alert,
    Asset,
    Transaction,
    UserSettings,
)
from portfolio_tracker.prices import storage
from portfolio_tracker.prices.providers.base import PriceFeedError, SymbolNotFound
from portfolio_tracker.prices.providers.yahoo import expected_currency_for
from portfolio_tracker.prices.service import PriceService, split_pair
from portfolio_tracker.prices.sources import (
    FeedSymbol,
    PriceKind,
    feed_symbol_of,
    stored_sources_of,
)

logger = logging.getLogger(__name__)

# Always kept: what the product's TRY/USD/EUR views need, whatever the assets are.
CORE_PAIRS = ("USDTRY", "EURTRY", "EURUSD")
DEFAULT_BACKFILL_YEARS = 10
# A stored rate this close to either end of a wanted range counts as covering it: the
# feeds publish on working days only (weekends, Easter and Christmas leave gaps).
FX_SLACK_DAYS = 7
# TRY pairs reaching today also get TCMB's bulletins of these last days (one request a day).
TCMB_RECENT_DAYS = 7
# The currency a feed prices in, before anything of the symbol is stored.
KIND_CURRENCY = {PriceKind.fund: "TRY", PriceKind.metal: "USD", PriceKind.crypto: "USD"}


# on_step(targets done, targets in all, the target about to be fetched)
Step = Callable[[int, int, FeedSymbol], None]


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
    rows = db.execute(select(Asset.type, Asset.ticker_symbol, Asset.price_source).distinct()).all()
    found = {feed_symbol_of(r.type, r.ticker_symbol, r.price_source) for r in rows}
    return sorted(
        (f for f in found if f is not None), key=lambda f: (f.kind, f.symbol, f.source or "")
    )


def symbols_held(db: Session) -> list[FeedSymbol]:
    """Every (kind, symbol) of an asset someone holds: bought more than sold. The signed
    sum is done here in Decimal, streamed (quantities are text on SQLite)."""
    net: dict[uuid.UUID, Decimal] = {}
    rows = db.execute(
        select(Transaction.asset_id, Transaction.type, Transaction.quantity).execution_options(
            yield_per=10_000
        )
    )
    for asset_id, kind, quantity in rows:
        net[asset_id] = net.get(asset_id, Decimal(0)) + (quantity if kind == "buy" else -quantity)
    held = [asset_id for asset_id, quantity in net.items() if quantity > 0]
    found: set[FeedSymbol] = set()
    for start in range(0, len(held), 500):
        chunk = held[start : start + 500]
        for row in db.execute(
            select(Asset.type, Asset.ticker_symbol, Asset.price_source).where(Asset.id.in_(chunk))
        ):
            target = feed_symbol_of(row.type, row.ticker_symbol, row.price_source)
            if target is not None:
                found.add(target)
    return sorted(found, key=lambda f: (f.kind, f.symbol, f.source or ""))


def symbols_alerted(db: Session) -> list[FeedSymbol]:
    """Every (kind, symbol) an armed price alert names (alerts on a symbol nobody holds
    need its price refreshed too)."""
    rows = db.execute(
        select(Alert.symbol_kind, Alert.symbol)
        .where(Alert.state == "armed", Alert.symbol.is_not(None))
        .distinct()
    ).all()
    found = {FeedSymbol(PriceKind(r.symbol_kind), r.symbol) for r in rows if r.symbol_kind}
    return sorted(found, key=lambda f: (f.kind, f.symbol, f.source or ""))


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


def refresh_latest(
    factory: sessionmaker[Session],
    service: PriceService,
    *,
    held_only: bool = False,
    on_step: Step | None = None,
) -> RefreshReport:
    """The latest quote of every symbol in use (only of those someone holds when
    ``held_only``, as the scheduled job asks, with the symbols armed alerts name) and every
    FX pair, each stored.
    ``on_step(done, total, target)`` is called before each target (progress display)."""
    with factory() as db:
        symbols = symbols_held(db) if held_only else symbols_in_use(db)
        symbols += [s for s in symbols_alerted(db) if s not in symbols]
        targets = [*symbols, *(FeedSymbol(PriceKind.fx, p) for p in fx_pairs_in_use(db))]
    report = RefreshReport()
    for done, target in enumerate(targets):
        if on_step is not None:
            on_step(done, len(targets), target)
        with factory() as db:
            try:
                quote = service.fetch_and_store(db, target.kind, target.symbol, target.source)
            except PriceFeedError as exc:
                db.rollback()
                report.items.append(_failure(target, exc))
                continue
            except Exception as exc:  # a database error must not stop the other symbols
                db.rollback()
                logger.exception("prices: refresh of %s %s failed", target.kind, target.symbol)
                report.items.append(
                    ItemResult(
                        target.kind.value, target.symbol, False, 0, f"error: {type(exc).__name__}"
                    )
                )
                continue
        report.items.append(
            ItemResult(
                target.kind.value,
                target.symbol,
                True,
                1,
                f"{quote.price} {quote.currency} ({quote.source})",
            )
        )
    return report


def backfill(
    factory: sessionmaker[Session],
    service: PriceService,
    targets: Iterable[FeedSymbol] | None = None,
    years: int = DEFAULT_BACKFILL_YEARS,
    *,
    background: bool = False,
    since: date | None = None,
    on_step: Step | None = None,
) -> RefreshReport:
    """Daily history of ``targets`` (default: every symbol in use and every FX pair) over
    the last ``years`` years, as far back as each source has it; from ``since`` instead
    when given (the daily job tops up recent days). ``on_step(done, total, target)`` is
    called before each target (progress display)."""
    if targets is None:
        with factory() as db:
            targets = [
                *symbols_in_use(db),
                *(FeedSymbol(PriceKind.fx, p) for p in fx_pairs_in_use(db)),
            ]
    end = service.today()
    start = since or years_back(end, years)
    report = RefreshReport()
    targets = list(targets)
    for done, target in enumerate(targets):
        if on_step is not None:
            on_step(done, len(targets), target)
        report.items.append(_backfill_one(factory, service, target, start, end, background))
    return report


def years_back(end: date, years: int) -> date:
    return end - timedelta(days=round(365.25 * years))


def _backfill_one(
    factory: sessionmaker[Session],
    service: PriceService,
    target: FeedSymbol,
    start: date,
    end: date,
    background: bool,
) -> ItemResult:
    with factory() as db:
        try:
            rows = service.backfill(
                db,
                target.kind,
                target.symbol,
                start,
                end,
                background=background,
                source=target.source,
            )
        except PriceFeedError as exc:
            db.rollback()
            return _failure(target, exc)
        except Exception as exc:
            db.rollback()
            logger.exception("prices: backfill of %s %s failed", target.kind, target.symbol)
            return ItemResult(
                target.kind.value, target.symbol, False, 0, f"error: {type(exc).__name__}"
            )
    return ItemResult(target.kind.value, target.symbol, True, rows, f"{start}..{end}")


# -- exchange rates an asset needs ------------------------------------------------------


def fx_pairs_for_asset(db: Session, asset_id: uuid.UUID) -> list[str]:
    """The pairs that convert an asset into its owner's base currency: ``<CCY><BASE>`` for
    its own currency (trades, lot costs) and its feed's price currency (the latest stored
    close's, else what the feed prices in), each when it differs from the base."""
    asset = db.execute(
        select(
            Asset.user_id, Asset.type, Asset.ticker_symbol, Asset.price_source, Asset.currency
        ).where(Asset.id == asset_id)
    ).first()
    if asset is None:
        return []
    base = (
        db.scalar(select(UserSettings.base_currency).where(UserSettings.user_id == asset.user_id))
        or DEFAULT_BASE_CURRENCY
    ).upper()
    currencies = {asset.currency.upper()}
    target = feed_symbol_of(asset.type, asset.ticker_symbol, asset.price_source)
    if target is not None:
        currency = _feed_currency(db, target)
        if currency is not None:
            currencies.add(currency)
    return [f"{code}{base}" for code in sorted(currencies) if code != base]


def _feed_currency(db: Session, target: FeedSymbol) -> str | None:
    close = storage.latest_close(db, stored_sources_of(target), target.symbol)
    if close is not None:
        return close.currency
    if target.kind is PriceKind.stock:
        return expected_currency_for(target.symbol)
    return KIND_CURRENCY.get(target.kind)


def missing_fx_range(
    stored: tuple[date, date] | None, asked: tuple[date, date] | None, start: date, end: date
) -> tuple[date, date] | None:
    """The one range to fetch so that a pair's rates cover [start, end] (within
    FX_SLACK_DAYS), given what is stored and what the feed already answered; None when
    nothing is missing. Gaps inside the stored range are left to `prices backfill`."""
    known = [span for span in (stored, asked) if span is not None]
    if not known:
        return start, end
    first = min(span[0] for span in known)
    last = max(span[1] for span in known)
    slack, day = timedelta(days=FX_SLACK_DAYS), timedelta(days=1)
    head = first > start + slack
    tail = last < end - slack
    # The stored boundary days are not asked again: a TCMB rate there stays TCMB's.
    if head:
        return start, end if tail else first - day
    if tail:
        return last + day, end
    return None


def ensure_fx_history(
    factory: sessionmaker[Session],
    service: PriceService,
    pairs: Iterable[str],
    start: date,
    end: date | None = None,
    *,
    background: bool = True,
) -> RefreshReport:
    """Fetch what is missing of each pair's rates over [start, end]: the ECB history, then
    for a TRY pair whose range reaches today TCMB's last TCMB_RECENT_DAYS days. A pair
    another task is fetching is left to it (with this range): one download, no waiting."""
    today = service.today()
    end = min(end or today, today)
    start = min(start, end)
    report = RefreshReport()
    for pair in dict.fromkeys(p.upper() for p in pairs):
        if not service.claim_fx(pair, start, end):
            continue
        wanted: tuple[date, date] | None = (start, end)
        try:
            while wanted is not None:
                _ensure_pair(factory, service, pair, wanted, report, background)
                wanted = service.release_fx(pair)
        except BaseException:
            service.release_fx(pair, failed=True)
            raise
    return report


def _ensure_pair(
    factory: sessionmaker[Session],
    service: PriceService,
    pair: str,
    wanted: tuple[date, date],
    report: RefreshReport,
    background: bool,
) -> None:
    base, quote = split_pair(pair)
    with factory() as db:
        stored = storage.rate_span(db, base, quote)
    window = missing_fx_range(stored, service.fx_asked(pair), *wanted)
    if window is None:
        return
    first, last = window
    item = _backfill_one(factory, service, FeedSymbol(PriceKind.fx, pair), first, last, background)
    report.items.append(item)
    if item.ok or item.detail.startswith("unknown symbol"):
        service.note_fx_asked(pair, first, last)
    if "TRY" not in (base, quote) or last < service.today() - timedelta(days=FX_SLACK_DAYS):
        return
    recent = max(first, last - timedelta(days=TCMB_RECENT_DAYS - 1))
    asked = service.fx_asked(pair + ":tcmb")
    if asked is not None and asked[0] <= recent and last <= asked[1]:
        return
    item = _backfill_one(
        factory, service, FeedSymbol(PriceKind.fx, pair, "tcmb"), recent, last, background
    )
    report.items.append(item)
    if item.ok:
        service.note_fx_asked(pair + ":tcmb", recent, last)


# -- background tasks ------------------------------------------------------------------


def backfill_new_asset(
    factory: sessionmaker[Session],
    service: PriceService,
    asset_id: uuid.UUID,
    years: int = DEFAULT_BACKFILL_YEARS,
) -> None:
    """Background task after an asset is created: its price history if a feed prices it,
    then the exchange rates it needs over the same range. Never raises: the asset exists
    whatever the feeds say."""
    try:
        with factory() as db:
            row = db.execute(
                select(Asset.type, Asset.ticker_symbol, Asset.price_source).where(
                    Asset.id == asset_id
                )
            ).first()
        if row is None:
            return
        end = service.today()
        target = feed_symbol_of(row.type, row.ticker_symbol, row.price_source)
        if target is not None:
            _log("new asset", backfill(factory, service, [target], years, background=True))
        with factory() as db:
            pairs = fx_pairs_for_asset(db, asset_id)
        if pairs:
            _log(
                "new asset", ensure_fx_history(factory, service, pairs, years_back(end, years), end)
            )
    except Exception:
        logger.exception("prices: backfill of new asset %s failed", asset_id)


def backfill_fx_for_trade(
    factory: sessionmaker[Session], service: PriceService, asset_id: uuid.UUID, day: date
) -> None:
    """Background task after a transaction is written: the rates its asset needs from a
    few days before ``day`` on, when stored rates start later (each trade's cost is
    converted at its own day's rate). Never raises."""
    try:
        with factory() as db:
            pairs = fx_pairs_for_asset(db, asset_id)
        if pairs:
            start = day - timedelta(days=FX_SLACK_DAYS)
            _log("transaction", ensure_fx_history(factory, service, pairs, start))
    except Exception:
        logger.exception("prices: FX backfill for a transaction of asset %s failed", asset_id)


def _log(what: str, report: RefreshReport) -> None:
    """One line per item: successes at info; failures at debug, since the price service
    already logged each failed feed call once."""
    for item in report.items:
        logger.log(
            logging.INFO if item.ok else logging.DEBUG,
            "prices: backfill for %s: %s %s: %s, %d rows, %s",
            what,
            item.kind,
            item.symbol,
            "ok" if item.ok else "failed",
            item.rows,
            item.detail,
        )


def _failure(target: FeedSymbol, exc: PriceFeedError) -> ItemResult:
    what = "unknown symbol" if isinstance(exc, SymbolNotFound) else type(exc).__name__
    return ItemResult(target.kind.value, target.symbol, False, 0, f"{what}: {exc.detail[:160]}")
