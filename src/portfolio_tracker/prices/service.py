"""Latest prices and history: quote cache → feed → stored closes, honest when a feed is down.

``PriceService`` is built once per process (create_app, the CLI) around the feeds and the
quote cache. A latest quote is served from the cache within its TTL; otherwise the feed is
asked, the answer stored as that day's close (so the app keeps working offline) and cached.
When the feed fails, the newest stored close is answered with ``stale=True``; with nothing
stored the caller gets a 503 with a clear detail. Rejected feed answers (FeedDataError) are
handled like an outage and never stored.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from portfolio_tracker.engine.metals import unit_price_from_spot
from portfolio_tracker.engine.money import ENGINE_CONTEXT, quantize_money
from portfolio_tracker.engine.vocabulary import MetalUnit
from portfolio_tracker.errors import InvalidInput, NotFound, ServiceUnavailable
from portfolio_tracker.metrics import record_cache
from portfolio_tracker.prices import storage
from portfolio_tracker.prices.providers.base import (
    FeedDataError,
    FeedUnavailable,
    PriceFeedError,
    PricePoint,
    PricePoints,
    PriceProvider,
    Quote,
    SymbolNotFound,
)
from portfolio_tracker.prices.providers.registry import PriceFeeds
from portfolio_tracker.prices.quote_cache import QuoteCache
from portfolio_tracker.prices.sources import STORED_SOURCES, PriceKind, storage_source

logger = logging.getLogger(__name__)

ISTANBUL = ZoneInfo("Europe/Istanbul")
NEW_YORK = ZoneInfo("America/New_York")
FRANKFURT = ZoneInfo("Europe/Berlin")
# Places of a price we derive (unit conversion, currency conversion); feed prices are
# answered exactly as the feed gave them.
DERIVED_PLACES = 6
# Longest history one provider call is asked for, per kind (None: one call for any range).
# CoinGecko's range endpoint is asked a year at a time; TEFAS takes look-back buckets
# (the provider picks one, 5 years at most); Yahoo/Stooq and ECB serve any range at once.
CHUNK_DAYS: dict[PriceKind, int | None] = {
    PriceKind.fund: None,
    PriceKind.stock: None,
    PriceKind.metal: None,
    PriceKind.crypto: 365,
    PriceKind.fx: None,
}
_STAMP_PREFIX = "fetched-at:"


@dataclass(frozen=True, slots=True)
class PriceAnswer:
    """What the price endpoints answer. ``max_age``: seconds a client may reuse it."""

    symbol: str
    price: Decimal
    currency: str
    as_of: datetime
    source: str
    stale: bool
    max_age: int
    unit: str | None = None


def quote_day(kind: PriceKind, quote: Quote) -> date:
    """The calendar day a latest quote is that day's close of, in the market's own zone."""
    if kind is PriceKind.fund:
        zone: ZoneInfo = ISTANBUL
    elif kind is PriceKind.fx:
        zone = ISTANBUL if quote.source == "tcmb" else FRANKFURT
    elif kind is PriceKind.crypto:
        return quote.as_of.astimezone(UTC).date()  # CoinGecko's days are UTC days
    elif kind is PriceKind.stock and quote.symbol.upper().endswith(".IS"):
        zone = ISTANBUL
    else:
        # US listings and COMEX futures; other exchanges close on the same New York date.
        zone = NEW_YORK
    return quote.as_of.astimezone(zone).date()


def split_pair(symbol: str) -> tuple[str, str]:
    cleaned = symbol.replace("/", "").replace("-", "").upper()
    return cleaned[:3], cleaned[3:6]


def canonical_symbol(kind: PriceKind, symbol: str) -> str:
    """The stored (and answered) symbol: crypto ``BTC-USD`` → ``BTC``."""
    cleaned = symbol.strip().upper()
    if kind is PriceKind.crypto and cleaned.endswith("-USD"):
        return cleaned[:-4]
    return cleaned


class PriceService:
    def __init__(
        self,
        feeds: PriceFeeds,
        cache: QuoteCache,
        ttl_seconds: int,
        *,
        clock: Callable[[], float] = time.time,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        background_feeds: PriceFeeds | None = None,
    ) -> None:
        self.feeds = feeds
        # Feeds for opportunistic work (the backfill after an asset is created): no retries,
        # so an unreachable source costs one failed request, not a backoff schedule.
        self.background_feeds = background_feeds or feeds
        self.cache = cache
        self.ttl = ttl_seconds
        self._clock = clock
        self._today = today
        self._lock = threading.Lock()
        # Feed failures since start, by "kind:source" (what /metrics or the CLI reports).
        self.failures: Counter[str] = Counter()
        # Per pair, the day range the FX history feed has already answered in this
        # process: what it lacks there (a currency younger than the range) is not asked
        # for again at each new transaction.
        self._fx_asked: dict[str, tuple[date, date]] = {}
        # The opportunistic FX backfills (refresh.ensure_fx_history) coalesce per pair: a
        # task finding the pair already being fetched leaves its range to that task and
        # returns at once (no thread waits on a download), see claim_fx.
        self._fx_running: set[str] = set()
        self._fx_pending: dict[str, tuple[date, date]] = {}

    def today(self) -> date:
        return self._today()

    def fx_asked(self, pair: str) -> tuple[date, date] | None:
        """The day range the FX history feed already answered for ``pair`` (this process)."""
        with self._lock:
            return self._fx_asked.get(pair)

    def note_fx_asked(self, pair: str, start: date, end: date) -> None:
        with self._lock:
            self._fx_asked[pair] = _hull(self._fx_asked.get(pair), start, end)

    def claim_fx(self, pair: str, start: date, end: date) -> bool:
        """True: the caller fetches ``pair`` now (and must call release_fx). False: another
        caller is fetching it and takes [start, end] over when it is done."""
        with self._lock:
            if pair in self._fx_running:
                self._fx_pending[pair] = _hull(self._fx_pending.get(pair), start, end)
                return False
            self._fx_running.add(pair)
            return True

    def release_fx(self, pair: str, *, failed: bool = False) -> tuple[date, date] | None:
        """The range others left to the claim's holder (it keeps the claim and fetches
        that next), or None: the claim is released. ``failed`` drops both."""
        with self._lock:
            pending = self._fx_pending.pop(pair, None)
            if pending is None or failed:
                self._fx_running.discard(pair)
                return None
            return pending

    # -- latest quotes -------------------------------------------------------------------

    def latest(self, db: Session, kind: PriceKind, symbol: str) -> PriceAnswer:
        """Cache → feed (stored) → stored close marked stale → 503; unknown symbol → 404."""
        symbol = canonical_symbol(kind, symbol)
        key = f"{kind.value}:{symbol}"
        cached = self.cache.get(key)
        record_cache("quote", cached is not None)
        if cached is not None:
            return self._answer(kind, symbol, cached, stale=False, max_age=self._left(key))
        try:
            quote = self.fetch_and_store(db, kind, symbol)
        except SymbolNotFound as exc:
            raise NotFound(f"No price source knows the {kind.value} symbol {symbol}.") from exc
        except (FeedUnavailable, FeedDataError) as exc:
            return self._stored_or_unavailable(db, kind, symbol, exc)
        return self._answer(kind, symbol, quote, stale=False, max_age=self.ttl)

    def fetch_and_store(
        self, db: Session, kind: PriceKind, symbol: str, source: str | None = None
    ) -> Quote:
        """Ask the feed (no cache), store the day's close, commit, cache; feed errors raise
        (each is logged and counted). ``source`` names one feed to ask alone (an asset's
        explicit ``stooq``); its quote is stored under that feed and not cached, since the
        cache answers the kind's usual chain."""
        symbol = canonical_symbol(kind, symbol)
        provider = self.feeds.select(kind.value, source)
        try:
            quote = provider.latest(symbol)
        except PriceFeedError as exc:
            self._failed(kind, exc)
            raise
        self._store_quote(db, kind, symbol, quote)
        db.commit()
        if source is not None:
            return quote
        key = f"{kind.value}:{symbol}"
        self.cache.set(key, quote)
        stamp = Quote(
            symbol=symbol,
            price=Decimal(1),
            currency="XXX",
            as_of=datetime.fromtimestamp(self._clock(), UTC),
            source="stamp",
        )
        self.cache.set(_STAMP_PREFIX + key, stamp)
        return quote

    def fx_rate(self, db: Session, base: str, quote: str) -> PriceAnswer:
        base, quote = base.upper(), quote.upper()
        if base == quote:  # a currency is worth exactly one of itself; no feed is asked
            return PriceAnswer(
                symbol=base + quote,
                price=Decimal(1),
                currency=quote,
                as_of=datetime.now(UTC),
                source="identity",
                stale=False,
                max_age=86400,
            )
        return self.latest(db, PriceKind.fx, base + quote)

    def metal(self, db: Session, symbol: str, unit: MetalUnit, currency: str) -> PriceAnswer:
        """Spot (USD per troy ounce) → one ``unit`` → ``currency`` at the latest rate."""
        spot = self.latest(db, PriceKind.metal, symbol)
        try:
            price = unit_price_from_spot(spot.price, unit, metal=spot.symbol)
        except ValueError as exc:
            raise InvalidInput(str(exc), ["query", "unit"]) from None
        answer = replace(spot, price=price, unit=unit.value)
        if currency != spot.currency:
            try:
                rate = self.fx_rate(db, spot.currency, currency)
            except NotFound as exc:
                raise InvalidInput(
                    f"No exchange rate from {spot.currency} to {currency} is known to any source.",
                    ["query", "currency"],
                ) from exc
            except ServiceUnavailable as exc:
                raise ServiceUnavailable(
                    f"The {spot.symbol} price is known in {spot.currency}, but no "
                    f"{spot.currency}/{currency} rate is stored and the rate feeds are "
                    "unreachable.",
                    retry_after=exc.retry_after,
                ) from exc
            with localcontext(ENGINE_CONTEXT):
                converted = price * rate.price
            answer = replace(
                answer,
                price=converted,
                currency=currency,
                stale=spot.stale or rate.stale,
                max_age=min(spot.max_age, rate.max_age),
                source=f"{spot.source}; fx {rate.source}",
            )
        if unit is not MetalUnit.TROY_OUNCE or currency != spot.currency:
            answer = replace(answer, price=quantize_money(answer.price, DERIVED_PLACES))
        return answer

    # -- history -------------------------------------------------------------------------

    def backfill(
        self,
        db: Session,
        kind: PriceKind,
        symbol: str,
        start: date,
        end: date | None = None,
        *,
        background: bool = False,
        source: str | None = None,
    ) -> int:
        """Fetch daily history over [start, end] in the chunks the source needs and store it
        (committed per chunk); returns rows written. Feed errors raise, counted.
        ``source``: one feed alone (``stooq``, ``yahoo``; FX ``tcmb``), else the kind's
        provider (stocks Yahoo then Stooq, FX history the ECB)."""
        symbol = canonical_symbol(kind, symbol)
        end = end or self._today()
        feeds = self.background_feeds if background else self.feeds
        provider: PriceProvider = feeds.select(kind.value, source, history=True)
        chunk = CHUNK_DAYS[kind]
        written = 0
        for first, last in _chunks(start, end, chunk):
            try:
                points = provider.history(symbol, first, last)
            except PriceFeedError as exc:
                self._failed(kind, exc)
                raise
            written += self._store_points(db, kind, symbol, points)
            if kind is PriceKind.stock and isinstance(points, PricePoints) and points.splits:
                storage.suggest_splits(db, symbol, points.splits)
            db.commit()
        return written

    # -- internals -----------------------------------------------------------------------

    def _store_quote(self, db: Session, kind: PriceKind, symbol: str, quote: Quote) -> None:
        day = quote_day(kind, quote)
        if kind is PriceKind.fx:
            base, counter = split_pair(quote.symbol)
            storage.store_rates(
                db,
                [
                    storage.Rate(
                        base=base, quote=counter, day=day, rate=quote.price, source=quote.source
                    )
                ],
            )
            return
        storage.store_closes(
            db,
            [
                storage.Close(
                    source=storage_source(kind, quote.source),
                    symbol=symbol,
                    day=day,
                    close=quote.price,
                    currency=quote.currency,
                )
            ],
        )

    def _store_points(
        self, db: Session, kind: PriceKind, symbol: str, points: list[PricePoint]
    ) -> int:
        if kind is PriceKind.fx:
            return storage.store_rates(
                db,
                [
                    storage.Rate(
                        base=split_pair(p.symbol)[0],
                        quote=split_pair(p.symbol)[1],
                        day=p.day,
                        rate=p.close,
                        source=p.source,
                    )
                    for p in points
                ],
            )
        return storage.store_closes(
            db,
            [
                storage.Close(
                    source=storage_source(kind, p.source),
                    symbol=symbol,
                    day=p.day,
                    close=p.close,
                    currency=p.currency,
                )
                for p in points
            ],
        )

    def _stored_or_unavailable(
        self, db: Session, kind: PriceKind, symbol: str, error: PriceFeedError
    ) -> PriceAnswer:
        if kind is PriceKind.fx:
            base, counter = split_pair(symbol)
            rate = storage.latest_rate(db, base, counter)
            if rate is not None:
                logger.warning(
                    "prices: fx %s feed down (%s); answering the stored rate of %s",
                    symbol,
                    type(error).__name__,
                    rate.day,
                )
                return PriceAnswer(
                    symbol=symbol,
                    price=rate.rate,
                    currency=counter,
                    as_of=rate.as_of,
                    source=rate.source,
                    stale=True,
                    max_age=0,
                )
        else:
            close = storage.latest_close(db, STORED_SOURCES[kind], symbol)
            if close is not None:
                logger.warning(
                    "prices: %s %s feed down (%s); answering the stored close of %s",
                    kind.value,
                    symbol,
                    type(error).__name__,
                    close.day,
                )
                return PriceAnswer(
                    symbol=symbol,
                    price=close.close,
                    currency=close.currency,
                    as_of=close.as_of,
                    source=close.source,
                    stale=True,
                    max_age=0,
                )
        raise ServiceUnavailable(
            f"The {kind.value} price of {symbol} is unknown: its feed is unreachable or "
            f"answered nonsense ({error.detail[:200]}) and no price is stored yet.",
            retry_after=math.ceil(getattr(error, "retry_after", None) or 30),
        )

    def _answer(
        self, kind: PriceKind, symbol: str, quote: Quote, *, stale: bool, max_age: int
    ) -> PriceAnswer:
        return PriceAnswer(
            symbol=symbol,
            price=quote.price,
            currency=quote.currency,
            as_of=quote.as_of,
            source=quote.source,
            stale=stale,
            max_age=max_age,
        )

    def _left(self, key: str) -> int:
        """Seconds of freshness left for a cached quote (0 when its fetch time is unknown)."""
        stamp = self.cache.get(_STAMP_PREFIX + key)
        if stamp is None:
            return 0
        age = self._clock() - stamp.as_of.timestamp()
        return max(0, min(self.ttl, int(self.ttl - age)))

    def _failed(self, kind: PriceKind, error: PriceFeedError) -> None:
        if isinstance(error, SymbolNotFound):
            logger.info("prices: %s: %s unknown to %s", kind.value, error.symbol, error.source)
            return
        with self._lock:
            self.failures[f"{kind.value}:{error.source}"] += 1
        logger.warning(
            "prices: %s feed %s failed for %s: %s: %s",
            kind.value,
            error.source,
            error.symbol,
            type(error).__name__,
            error.detail[:200],
        )


def _hull(known: tuple[date, date] | None, start: date, end: date) -> tuple[date, date]:
    if known is None:
        return start, end
    return min(start, known[0]), max(end, known[1])


def _chunks(start: date, end: date, days: int | None) -> list[tuple[date, date]]:
    if end < start:
        return []
    if days is None:
        return [(start, end)]
    spans = []
    first = start
    while first <= end:
        last = min(end, first + timedelta(days=days - 1))
        spans.append((first, last))
        first = last + timedelta(days=1)
    return spans
