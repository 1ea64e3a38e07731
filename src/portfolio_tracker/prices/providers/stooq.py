"""Stooq CSV: the fallback for stocks and metals when Yahoo fails.

History ``GET <host>/q/d/l/?s=<sym>&i=d&d1=YYYYMMDD&d2=YYYYMMDD`` and latest
``GET <host>/q/l/?s=<sym>&f=sd2t2ohlcv&h&e=csv``. Stooq has no official API, wants a key
since 2026-03 and shows non-browser clients an HTML proof-of-work page since 2026-07, so it
is best-effort: every body must start with the CSV header we expect or it is rejected.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import UTC, date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from portfolio_tracker.prices.providers.base import (
    FeedUnavailable,
    PricePoint,
    Quote,
    SymbolNotFound,
)
from portfolio_tracker.prices.providers.resilience import FeedClient
from portfolio_tracker.prices.providers.validation import (
    DEFAULT_BOUNDS,
    PriceBounds,
    check_price,
    reject,
    response_text,
    skip_point,
)

logger = logging.getLogger(__name__)

# Stooq is Polish; the zone of its Date/Time columns is not documented (assumed).
STOOQ_ZONE = ZoneInfo("Europe/Warsaw")
HISTORY_HEADER = "Date,Open,High,Low,Close"
LATEST_HEADER = "Symbol,Date,Time,Open,High,Low,Close"
# The key's parameter name is not documented anywhere we could read: a guess.
API_KEY_PARAM = "apikey"
_SPOT = {"XAU": ("xauusd", "USD"), "XAG": ("xagusd", "USD")}


def stooq_symbol(symbol: str) -> tuple[str, str]:
    """Our (Yahoo-style) symbol → Stooq symbol and the currency its prices are in."""
    sym = symbol.strip().upper()
    if sym in _SPOT:
        return _SPOT[sym]
    if match := re.fullmatch(r"([A-Z]{3})([A-Z]{3})=X", sym):
        return (match[1] + match[2]).lower(), match[2]
    if match := re.fullmatch(r"(GC|SI)=F", sym):
        return f"{match[1].lower()}.f", "USD"
    if match := re.fullmatch(r"([A-Z0-9]{2,6})\.IS", sym):
        return f"{match[1].lower()}.tr", "TRY"  # the .tr suffix is unverified
    if re.fullmatch(r"[A-Z]{1,5}([.-][A-Z])?", sym):
        return f"{sym.replace('.', '-').lower()}.us", "USD"
    raise SymbolNotFound("stooq", symbol, "no Stooq symbol for this ticker")


class StooqProvider:
    name = "stooq"

    def __init__(
        self,
        client: FeedClient,
        base_url: str,
        *,
        api_key: str | None = None,
        bounds: PriceBounds = DEFAULT_BOUNDS,
    ) -> None:
        self._client = client
        self._base = base_url
        self._key_suffix = f"&{API_KEY_PARAM}={quote(api_key)}" if api_key else ""
        self._bounds = bounds

    def latest(self, symbol: str) -> Quote:
        code, currency = stooq_symbol(symbol)
        url = f"{self._base}/q/l/?s={code}&f=sd2t2ohlcv&h&e=csv{self._key_suffix}"
        row = self._client.fetch(
            "GET", url, lambda r: self._rows(r, symbol, LATEST_HEADER), symbol=symbol
        )
        if len(row) != 1:
            raise reject(self.name, symbol, f"{len(row)} rows in a latest-quote answer")
        fields = row[0]
        if fields.get("Symbol", "").lower() != code:
            raise reject(self.name, symbol, "answer is for another symbol")
        if fields.get("Close") == "N/D":
            raise SymbolNotFound(self.name, symbol, "Stooq has no quote (N/D)")
        try:
            price = check_price(fields.get("Close"), self._bounds)
            stamp = datetime.strptime(
                f"{fields.get('Date')} {fields.get('Time')}", "%Y-%m-%d %H:%M:%S"
            )
        except ValueError as exc:
            raise reject(self.name, symbol, f"latest price: {exc}") from None
        as_of = stamp.replace(tzinfo=STOOQ_ZONE).astimezone(UTC)
        return Quote(symbol=symbol, price=price, currency=currency, as_of=as_of, source=self.name)

    def history(self, symbol: str, start: date, end: date) -> list[PricePoint]:
        code, currency = stooq_symbol(symbol)
        if end < start:
            return []
        url = (
            f"{self._base}/q/d/l/?s={code}&i=d&d1={start:%Y%m%d}&d2={end:%Y%m%d}{self._key_suffix}"
        )
        rows = self._client.fetch(
            "GET", url, lambda r: self._rows(r, symbol, HISTORY_HEADER), symbol=symbol
        )
        by_day: dict[date, PricePoint] = {}
        for fields in rows:
            where = str(fields.get("Date"))[:12]
            try:
                day = date.fromisoformat(str(fields.get("Date")))
                close = check_price(fields.get("Close"), self._bounds)
            except ValueError as exc:
                skip_point(self.name, symbol, where, str(exc))
                continue
            if start <= day <= end:
                by_day[day] = PricePoint(
                    symbol=symbol, day=day, close=close, currency=currency, source=self.name
                )
        return [by_day[day] for day in sorted(by_day)]

    def _rows(self, response: httpx.Response, symbol: str, header: str) -> list[dict[str, str]]:
        if response.status_code == 404:
            raise SymbolNotFound(self.name, symbol, "HTTP 404")
        if response.status_code != 200:
            raise reject(self.name, symbol, f"unexpected HTTP {response.status_code}")
        text = response_text(response, self.name, symbol).lstrip("\ufeff").strip()
        lowered = text.lower()
        if lowered.startswith("no data"):
            raise SymbolNotFound(self.name, symbol, "Stooq has no data")
        if "exceeded the daily hits limit" in lowered:
            logger.debug("stooq: daily hits limit reached")
            raise FeedUnavailable(self.name, symbol, "daily request limit reached")
        if not text.startswith(header):
            raise reject(self.name, symbol, f"not the expected CSV: {text[:40]!r}")
        return list(csv.DictReader(io.StringIO(text)))
