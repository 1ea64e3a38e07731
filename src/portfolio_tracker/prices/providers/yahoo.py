"""Yahoo Finance chart API v8: BIST (``THYAO.IS``) and global (``AAPL``) stocks, futures.

``GET <host>/v8/finance/chart/<symbol>`` with either ``range`` or ``period1``/``period2``
(unix seconds) and ``interval=1d``. The symbol goes into the path raw, as yfinance does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from portfolio_tracker.prices.providers.base import (
    FeedUnavailable,
    PricePoint,
    PricePoints,
    Quote,
    SplitEvent,
    SymbolNotFound,
)
from portfolio_tracker.prices.providers.resilience import FeedClient
from portfolio_tracker.prices.providers.validation import (
    DEFAULT_BOUNDS,
    PriceBounds,
    check_currency,
    check_price,
    load_json,
    reject,
    skip_point,
)

logger = logging.getLogger(__name__)

_SYMBOL = re.compile(r"^[A-Z0-9^][A-Z0-9.=\-^]{0,24}$")
# The terms of a split ratio, as the corporate actions take them (engine.actions).
_MAX_SPLIT_TERM = Decimal(10**6)
# Yahoo quotes some markets in minor units (London pence, Johannesburg cents, agorot).
MINOR_UNITS = {
    "GBp": ("GBP", Decimal(100)),
    "ZAc": ("ZAR", Decimal(100)),
    "ILA": ("ILS", Decimal(100)),
}


def expected_currency_for(symbol: str) -> str | None:
    """The currency a Yahoo symbol must be quoted in, where the symbol alone tells."""
    if symbol.endswith(".IS"):
        return "TRY"
    if symbol.endswith("=X") and len(symbol) == 8:
        return symbol[3:6]
    if re.fullmatch(r"[A-Z]{1,5}", symbol):
        return "USD"
    return None


def yahoo_symbol(symbol: str, source: str) -> str:
    cleaned = symbol.strip().upper()
    if not _SYMBOL.match(cleaned):
        raise SymbolNotFound(source, symbol, "not a valid ticker symbol")
    return cleaned


class YahooChartProvider:
    """Quotes and daily closes from Yahoo's chart endpoint, in the currency Yahoo reports."""

    name = "yahoo"

    def __init__(
        self,
        client: FeedClient,
        base_url: str,
        *,
        bounds: PriceBounds = DEFAULT_BOUNDS,
        expected_currency: Callable[[str], str | None] = expected_currency_for,
    ) -> None:
        self._client = client
        self._base = f"{base_url}/v8/finance/chart/"
        self._bounds = bounds
        self._expected_currency = expected_currency

    def latest(self, symbol: str) -> Quote:
        sym = yahoo_symbol(symbol, self.name)
        chart = self._get(sym, {"range": "5d", "interval": "1d"})
        meta, currency, factor = self._meta(chart, sym)
        market_time = meta.get("regularMarketTime")
        try:
            price = check_price(meta.get("regularMarketPrice"), self._bounds_for(factor))
            if not isinstance(market_time, int) or market_time <= 0:
                raise ValueError("missing regularMarketTime")
        except ValueError as exc:
            raise reject(self.name, sym, f"latest price: {exc}") from None
        return Quote(
            symbol=sym,
            price=price / factor,
            currency=currency,
            as_of=datetime.fromtimestamp(market_time, UTC),
            source=self.name,
        )

    def history(self, symbol: str, start: date, end: date) -> PricePoints:
        """Daily closes over [start, end] (split-adjusted, as Yahoo's ``close`` is) and the
        splits Yahoo reports in that range (``PricePoints.splits``)."""
        sym = yahoo_symbol(symbol, self.name)
        if end < start:
            return PricePoints([])
        period1 = int(datetime.combine(start, datetime.min.time(), UTC).timestamp())
        period2 = int(
            datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC).timestamp()
        )
        # Pad a day each side: bars are stamped at the session start in exchange time,
        # which lies on the previous UTC day for markets east of UTC. Filter below.
        params = {
            "period1": str(period1 - 86400),
            "period2": str(period2 + 86400),
            "interval": "1d",
            "events": "split",
        }
        chart = self._get(sym, params)
        meta, currency, factor = self._meta(chart, sym)
        points = [
            p for p in self._bars(chart, meta, sym, currency, factor) if start <= p.day <= end
        ]
        splits = tuple(s for s in self._splits(chart, meta, sym) if start <= s.day <= end)
        return PricePoints(points, splits)

    def _splits(self, chart: dict[str, Any], meta: dict[str, Any], sym: str) -> list[SplitEvent]:
        """``events.splits`` of the chart: ``{"<unix s>": {"date": s, "numerator": n,
        "denominator": d, "splitRatio": "n:d"}}``; an entry that does not parse is skipped."""
        events = chart.get("events")
        splits = events.get("splits") if isinstance(events, dict) else None
        if not isinstance(splits, dict):
            return []
        zone = _exchange_zone(meta)
        found = []
        for key, event in splits.items():
            try:
                if not isinstance(event, dict):
                    raise ValueError("not an object")
                stamp = event.get("date")
                if not isinstance(stamp, int) or isinstance(stamp, bool) or stamp <= 0:
                    raise ValueError(f"bad date {str(stamp)[:20]}")
                terms = []
                for name in ("numerator", "denominator"):
                    value = event.get(name)
                    if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
                        raise ValueError(f"bad {name}")
                    term = Decimal(str(value))
                    if not term.is_finite() or term <= 0 or term >= _MAX_SPLIT_TERM:
                        raise ValueError(f"{name} out of range")
                    terms.append(term)
                if terms[0] == terms[1]:
                    raise ValueError("a 1:1 split changes nothing")
            except ValueError as exc:
                skip_point(self.name, sym, f"split {str(key)[:20]}", str(exc))
                continue
            day = datetime.fromtimestamp(stamp, zone).date()
            found.append(SplitEvent(sym, day, terms[0], terms[1], self.name))
        return sorted(found, key=lambda s: s.day)

    def _get(self, sym: str, params: dict[str, str]) -> dict[str, Any]:
        return self._client.fetch(
            "GET", self._base + sym, lambda r: self._parse(r, sym), symbol=sym, params=params
        )

    def _parse(self, response: httpx.Response, sym: str) -> dict[str, Any]:
        if response.text.strip().lower().startswith("too many requests"):
            # Yahoo's rate-limit text sometimes arrives with status 200.
            logger.debug("yahoo: rate limited (HTTP %d) for %s", response.status_code, sym)
            raise FeedUnavailable(self.name, sym, "rate limited")
        payload = load_json(response, self.name, sym)
        chart = payload.get("chart") if isinstance(payload, dict) else None
        if not isinstance(chart, dict):
            raise reject(self.name, sym, "no chart object in the answer")
        error = chart.get("error")
        if error:
            description = str(
                error.get("description", error) if isinstance(error, dict) else error
            )[:120]
            if response.status_code == 404 or "no data found" in description.lower():
                logger.info("yahoo: unknown symbol %s: %s", sym, description)
                raise SymbolNotFound(self.name, sym, description)
            raise reject(self.name, sym, f"chart error: {description}")
        if response.status_code != 200:
            raise reject(self.name, sym, f"unexpected HTTP {response.status_code}")
        results = chart.get("result")
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise SymbolNotFound(self.name, sym, "empty chart result")
        result: dict[str, Any] = results[0]
        return result

    def _meta(self, chart: dict[str, Any], sym: str) -> tuple[dict[str, Any], str, Decimal]:
        meta = chart.get("meta")
        if not isinstance(meta, dict):
            raise reject(self.name, sym, "no meta in the chart")
        answered = meta.get("symbol")
        if isinstance(answered, str) and answered.upper() != sym:
            raise reject(self.name, sym, f"answer is for {answered[:25]}")
        raw = meta.get("currency")
        currency, factor = (
            MINOR_UNITS.get(raw, (raw, Decimal(1))) if isinstance(raw, str) else (raw, Decimal(1))
        )
        try:
            checked = check_currency(currency, self._expected_currency(sym))
        except ValueError as exc:
            raise reject(self.name, sym, str(exc)) from None
        return meta, checked, factor

    def _bounds_for(self, factor: Decimal) -> PriceBounds:
        return PriceBounds(self._bounds.low * factor, self._bounds.high * factor)

    def _bars(
        self, chart: dict[str, Any], meta: dict[str, Any], sym: str, currency: str, factor: Decimal
    ) -> list[PricePoint]:
        stamps = chart.get("timestamp")
        if stamps is None:
            return []  # a range without sessions: Yahoo leaves out timestamp/indicators
        try:
            closes = chart["indicators"]["quote"][0]["close"]
        except (KeyError, IndexError, TypeError):
            raise reject(self.name, sym, "no indicators.quote[0].close") from None
        if (
            not isinstance(stamps, list)
            or not isinstance(closes, list)
            or len(stamps) != len(closes)
        ):
            raise reject(self.name, sym, "timestamp and close series differ in length")
        zone = _exchange_zone(meta)
        by_day: dict[date, PricePoint] = {}
        bounds = self._bounds_for(factor)
        for stamp, close in zip(stamps, closes, strict=True):
            if close is None:
                continue  # holidays and the unfinished bar: documented, not worth a warning
            try:
                if not isinstance(stamp, int):
                    raise ValueError(f"bad timestamp {str(stamp)[:20]}")
                price = check_price(close, bounds)
            except ValueError as exc:
                skip_point(self.name, sym, str(stamp)[:20], str(exc))
                continue
            day = datetime.fromtimestamp(stamp, zone).date()
            # Yahoo may append the live bar after the last session; the later one wins.
            by_day[day] = PricePoint(
                symbol=sym, day=day, close=price / factor, currency=currency, source=self.name
            )
        return [by_day[day] for day in sorted(by_day)]


def _exchange_zone(meta: dict[str, Any]) -> tzinfo:
    name = meta.get("exchangeTimezoneName")
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            logger.info("yahoo: unknown exchange time zone %.40r", name)
    offset = meta.get("gmtoffset")
    if isinstance(offset, int) and abs(offset) < 86400:
        return timezone(timedelta(seconds=offset))
    return UTC
