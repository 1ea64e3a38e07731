"""ECB euro reference rates (XML): ``EURUSD`` directly, ``USDTRY`` as a cross through EUR.

Latest: ``<host>/stats/eurofxref/eurofxref-daily.xml``; history: ``eurofxref-hist-90d.xml``
when the range starts within 90 days, else ``eurofxref-hist.xml`` (every day since 1999).
Each rate is units of the currency per 1 EUR.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx

from portfolio_tracker.prices.providers.base import PricePoint, Quote, SymbolNotFound
from portfolio_tracker.prices.providers.pairs import RATE_BOUNDS, parse_pair
from portfolio_tracker.prices.providers.resilience import FeedClient
from portfolio_tracker.prices.providers.validation import (
    check_price,
    load_xml,
    reject,
    skip_point,
)

logger = logging.getLogger(__name__)

NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
FRANKFURT = ZoneInfo("Europe/Berlin")
PUBLISHED_AT = time(16, 0)  # "around 16:00 CET" on TARGET working days
RECENT_DAYS = 90
DailyRates = dict[date, dict[str, Decimal]]


class EcbProvider:
    name = "ecb"

    def __init__(
        self,
        client: FeedClient,
        base_url: str,
        *,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self._client = client
        self._base = f"{base_url}/stats/eurofxref/"
        self._today = today

    def latest(self, symbol: str) -> Quote:
        base, quote = parse_pair(symbol, self.name)
        days = self._fetch("eurofxref-daily.xml", symbol)
        if not days:
            raise reject(self.name, symbol, "no rates in the daily file")
        day = max(days)
        rate = self._cross(days[day], base, quote)
        if rate is None:
            raise SymbolNotFound(self.name, symbol, "currency not among the ECB rates")
        as_of = datetime.combine(day, PUBLISHED_AT, FRANKFURT).astimezone(UTC)
        return Quote(symbol=base + quote, price=rate, currency=quote, as_of=as_of, source=self.name)

    def history(self, symbol: str, start: date, end: date) -> list[PricePoint]:
        base, quote = parse_pair(symbol, self.name)
        if end < start:
            return []
        recent = start >= self._today() - timedelta(days=RECENT_DAYS - 1)
        days = self._fetch("eurofxref-hist-90d.xml" if recent else "eurofxref-hist.xml", symbol)
        known = set().union(*days.values()) | {"EUR"} if days else {"EUR"}
        if base not in known or quote not in known:
            raise SymbolNotFound(self.name, symbol, "currency not among the ECB rates")
        points = []
        for day in sorted(days):
            if start <= day <= end:
                rate = self._cross(days[day], base, quote)
                if rate is not None:
                    points.append(
                        PricePoint(
                            symbol=base + quote,
                            day=day,
                            close=rate,
                            currency=quote,
                            source=self.name,
                        )
                    )
        return points

    @staticmethod
    def _cross(rates: dict[str, Decimal], base: str, quote: str) -> Decimal | None:
        per_eur = {**rates, "EUR": Decimal(1)}
        if base not in per_eur or quote not in per_eur:
            return None
        # quote per base = (quote per EUR) / (base per EUR); exact for EUR-based pairs.
        return per_eur[quote] / per_eur[base]

    def _fetch(self, filename: str, symbol: str) -> DailyRates:
        return self._client.fetch(
            "GET", self._base + filename, lambda r: self._parse(r, symbol), symbol=symbol
        )

    def _parse(self, response: httpx.Response, symbol: str) -> DailyRates:
        if response.status_code != 200:
            raise reject(self.name, symbol, f"unexpected HTTP {response.status_code}")
        root = load_xml(response, self.name, symbol)
        if not root.tag.endswith("Envelope"):
            raise reject(self.name, symbol, f"unexpected root element {root.tag[:40]}")
        days: DailyRates = {}
        for cube in root.iter(f"{NS}Cube"):
            stamp = cube.get("time")
            if stamp is None:
                continue
            try:
                day = date.fromisoformat(stamp)
            except ValueError:
                skip_point(self.name, symbol, stamp[:12], "invalid time attribute")
                continue
            rates: dict[str, Decimal] = {}
            for entry in cube.iter(f"{NS}Cube"):
                currency, value = entry.get("currency"), entry.get("rate")
                if currency is None or value is None:
                    continue
                try:
                    rates[currency] = check_price(value, RATE_BOUNDS)
                except ValueError as exc:
                    skip_point(self.name, symbol, f"{day} {currency[:4]}", str(exc))
            days[day] = rates
        if not days:
            raise reject(self.name, symbol, "no dated rates in the XML")
        return days
