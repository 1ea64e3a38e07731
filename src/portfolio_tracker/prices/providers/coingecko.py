"""Crypto prices from CoinGecko API v3.

Symbols are tickers (``BTC``) priced in the default currency, or ``BTC-TRY`` for another
one. CoinGecko wants coin ids (``bitcoin``), not tickers: a small built-in table covers the
common coins, and ``/coins/list`` is consulted for the rest when the ticker is unambiguous.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from portfolio_tracker.prices.providers.base import PricePoint, Quote, SymbolNotFound
from portfolio_tracker.prices.providers.resilience import FeedClient
from portfolio_tracker.prices.providers.validation import (
    DEFAULT_BOUNDS,
    PriceBounds,
    check_price,
    load_json,
    reject,
    skip_point,
)

logger = logging.getLogger(__name__)

KNOWN_IDS = {
    "BTC": "bitcoin",
    "ETH": "ethereum",
    "USDT": "tether",
    "USDC": "usd-coin",
    "SOL": "solana",
    "AVAX": "avalanche-2",
    "BNB": "binancecoin",
    "XRP": "ripple",
    "ADA": "cardano",
    "DOGE": "dogecoin",
    "DOT": "polkadot",
    "LTC": "litecoin",
    "LINK": "chainlink",
    "TRX": "tron",
}
VS_CURRENCIES = ("USD", "TRY", "EUR")
KEYLESS_HISTORY_DAYS = 365  # the free/Demo plans answer nothing older (an error, not less)
COIN_LIST_TTL_SECONDS = 24 * 3600
_SYMBOL = re.compile(r"^([A-Z0-9]{1,15})(?:[-/]([A-Z]{3}))?$")


class CoinGeckoProvider:
    name = "coingecko"

    def __init__(
        self,
        client: FeedClient,
        base_url: str,
        *,
        api_key: str | None = None,
        default_currency: str = "USD",
        bounds: PriceBounds = DEFAULT_BOUNDS,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self._client = client
        self._base = base_url
        self._pro = "pro-api." in base_url
        self._headers = {"Accept": "application/json"}
        if api_key:
            header = "x-cg-pro-api-key" if self._pro else "x-cg-demo-api-key"
            self._headers[header] = api_key
        self._default_currency = default_currency
        self._bounds = bounds
        self._clock = clock
        self._today = today
        self._lock = threading.Lock()
        self._coin_ids: dict[str, list[str]] | None = None
        self._coin_ids_at = 0.0

    def latest(self, symbol: str) -> Quote:
        ticker, coin_id, currency = self._resolve(symbol)
        params = {
            "ids": coin_id,
            "vs_currencies": currency.lower(),
            "include_last_updated_at": "true",
            "precision": "full",
        }
        payload = self._get("/simple/price", symbol, params)
        if not isinstance(payload, dict):
            raise reject(self.name, symbol, "answer is not an object")
        entry = payload.get(coin_id)
        if entry is None:
            raise SymbolNotFound(self.name, symbol, f"CoinGecko does not know {coin_id}")
        if not isinstance(entry, dict):
            raise reject(self.name, symbol, "price entry is not an object")
        if currency.lower() not in entry:
            raise reject(self.name, symbol, f"no {currency} price in the answer")
        stamp = entry.get("last_updated_at")
        try:
            price = check_price(entry[currency.lower()], self._bounds)
            if not isinstance(stamp, int) or stamp <= 0:
                raise ValueError("missing last_updated_at")
        except ValueError as exc:
            raise reject(self.name, symbol, f"latest price: {exc}") from None
        return Quote(
            symbol=f"{ticker}-{currency}",
            price=price,
            currency=currency,
            as_of=datetime.fromtimestamp(stamp, UTC),
            source=self.name,
        )

    def history(self, symbol: str, start: date, end: date) -> list[PricePoint]:
        ticker, coin_id, currency = self._resolve(symbol)
        if not self._pro:
            oldest = self._today() - timedelta(days=KEYLESS_HISTORY_DAYS - 1)
            if start < oldest:
                logger.info("coingecko: history of %s starts at %s on this plan", ticker, oldest)
                start = oldest
        if end < start:
            return []
        begin = int(datetime.combine(start, datetime.min.time(), UTC).timestamp())
        finish = (
            int(datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC).timestamp()) - 1
        )
        params = {"vs_currency": currency.lower(), "from": str(begin), "to": str(finish)}
        payload = self._get(f"/coins/{coin_id}/market_chart/range", symbol, params)
        prices = payload.get("prices") if isinstance(payload, dict) else None
        if not isinstance(prices, list):
            raise reject(self.name, symbol, "no prices array in the answer")
        # Short ranges come back hourly or 5-minutely: the last point of each UTC day is
        # that day's close (CoinGecko's daily points are at 00:00 UTC).
        by_day: dict[date, PricePoint] = {}
        for index, pair in enumerate(prices):
            try:
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int)):
                    raise ValueError("not a [timestamp_ms, price] pair")
                close = check_price(pair[1], self._bounds)
            except ValueError as exc:
                skip_point(self.name, symbol, f"#{index}", str(exc))
                continue
            day = datetime.fromtimestamp(pair[0] / 1000, UTC).date()
            if start <= day <= end:
                by_day[day] = PricePoint(
                    symbol=f"{ticker}-{currency}",
                    day=day,
                    close=close,
                    currency=currency,
                    source=self.name,
                )
        return [by_day[day] for day in sorted(by_day)]

    def _resolve(self, symbol: str) -> tuple[str, str, str]:
        match = _SYMBOL.match(symbol.strip().upper())
        if not match:
            raise SymbolNotFound(self.name, symbol, "not a crypto ticker")
        ticker, currency = match[1], match[2] or self._default_currency
        if currency not in VS_CURRENCIES:
            raise SymbolNotFound(self.name, symbol, f"prices in {currency} are not offered")
        coin_id = KNOWN_IDS.get(ticker) or self._lookup_id(ticker, symbol)
        return ticker, coin_id, currency

    def _lookup_id(self, ticker: str, symbol: str) -> str:
        ids = self._coin_list(symbol).get(ticker.lower(), [])
        if not ids:
            raise SymbolNotFound(self.name, symbol, "no coin with this ticker")
        if len(ids) > 1:
            logger.info("coingecko: ticker %s is ambiguous (%d coins)", ticker, len(ids))
            raise SymbolNotFound(self.name, symbol, f"ticker is ambiguous: {', '.join(ids[:5])}")
        return ids[0]

    def _coin_list(self, symbol: str) -> dict[str, list[str]]:
        with self._lock:
            fresh = self._clock() - self._coin_ids_at < COIN_LIST_TTL_SECONDS
            if self._coin_ids is not None and fresh:
                return self._coin_ids
        rows = self._get("/coins/list", symbol, None)
        if not isinstance(rows, list):
            raise reject(self.name, symbol, "coin list is not an array")
        table: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            if (
                isinstance(row, dict)
                and isinstance(row.get("id"), str)
                and isinstance(row.get("symbol"), str)
            ):
                table[row["symbol"].lower()].append(row["id"])
        with self._lock:
            self._coin_ids, self._coin_ids_at = dict(table), self._clock()
            return self._coin_ids

    def _get(self, path: str, symbol: str, params: dict[str, str] | None) -> Any:
        return self._client.fetch(
            "GET",
            self._base + path,
            lambda r: self._parse(r, symbol),
            symbol=symbol,
            params=params,
            headers=self._headers,
        )

    def _parse(self, response: httpx.Response, symbol: str) -> Any:
        payload = load_json(response, self.name, symbol)
        if response.status_code == 200 and not _error_of(payload):
            return payload
        message = _error_of(payload) or f"HTTP {response.status_code}"
        if response.status_code == 404:
            raise SymbolNotFound(self.name, symbol, message)
        raise reject(self.name, symbol, f"HTTP {response.status_code}: {message}")


def _error_of(payload: Any) -> str | None:
    """CoinGecko's error shapes: ``{"error": "..."}``, ``{"status": {"error_message"}}``
    and ``{"error": {"status": {...}}}``."""
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if isinstance(error, str):
        return error[:200]
    # The plan-limit answer nests the status object inside "error" (shape unverified).
    status = error.get("status") if isinstance(error, dict) else payload.get("status")
    if isinstance(status, dict) and status.get("error_message"):
        return str(status["error_message"])[:200]
    return None
