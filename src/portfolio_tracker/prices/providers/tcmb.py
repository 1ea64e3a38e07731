"""Central Bank of Türkiye indicative rates (TRY per unit), from its daily XML bulletins.

Latest: ``GET <host>/kurlar/today.xml``; a past day: ``GET <host>/kurlar/YYYYMM/DDMMYYYY.xml``
(404 on weekends and holidays). We use ``ForexBuying`` divided by ``Unit`` (JPY is quoted
per 100): the rate TCMB publishes as its indicative "döviz alış"; the choice is ours.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx

from portfolio_tracker.prices.providers.base import PricePoint, Quote, SymbolNotFound
from portfolio_tracker.prices.providers.pairs import RATE_BOUNDS, parse_pair
from portfolio_tracker.prices.providers.resilience import FeedClient
from portfolio_tracker.prices.providers.validation import (
    as_decimal,
    check_price,
    load_xml,
    reject,
    skip_point,
)

logger = logging.getLogger(__name__)

ISTANBUL = ZoneInfo("Europe/Istanbul")
PUBLISHED_AT = time(15, 30)  # TCMB convention; the exact minute is unverified


class Bulletin:
    """One parsed bulletin: its date and TRY per 1 unit of each currency."""

    def __init__(self, day: date, rates: dict[str, Decimal]) -> None:
        self.day = day
        self.rates = rates


class TcmbProvider:
    name = "tcmb"

    def __init__(
        self,
        client: FeedClient,
        base_url: str,
        *,
        rate_field: str = "ForexBuying",
        max_history_days: int = 400,
    ) -> None:
        self._client = client
        self._base = base_url
        self._field = rate_field
        self._max_days = max_history_days

    def latest(self, symbol: str) -> Quote:
        base, quote = self._pair(symbol)
        bulletin = self._bulletin(f"{self._base}/kurlar/today.xml", symbol)
        if bulletin is None:
            raise reject(self.name, symbol, "today.xml not found")
        rate = self._rate(bulletin, base, quote)
        if rate is None:
            raise SymbolNotFound(
                self.name,
                symbol,
                f"{base if quote == 'TRY' else quote} is not in the TCMB bulletin",
            )
        as_of = datetime.combine(bulletin.day, PUBLISHED_AT, ISTANBUL).astimezone(UTC)
        return Quote(symbol=base + quote, price=rate, currency=quote, as_of=as_of, source=self.name)

    def history(self, symbol: str, start: date, end: date) -> list[PricePoint]:
        base, quote = self._pair(symbol)
        earliest = end - timedelta(days=self._max_days - 1)
        if start < earliest:
            # One request per day to a government server: long backfills belong to ECB.
            logger.warning("tcmb: history of %s cut to start at %s", symbol, earliest)
            start = earliest
        points: list[PricePoint] = []
        day = start
        while day <= end:
            if day.weekday() < 5:
                url = f"{self._base}/kurlar/{day:%Y%m}/{day:%d%m%Y}.xml"
                bulletin = self._bulletin(url, symbol)
                if bulletin is not None and bulletin.day != day:
                    skip_point(
                        self.name,
                        symbol,
                        day.isoformat(),
                        f"archive file holds the bulletin of {bulletin.day}",
                    )
                elif bulletin is not None:
                    rate = self._rate(bulletin, base, quote)
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
            day += timedelta(days=1)
        return points

    def _pair(self, symbol: str) -> tuple[str, str]:
        base, quote = parse_pair(symbol, self.name)
        if "TRY" not in (base, quote):
            raise SymbolNotFound(self.name, symbol, "TCMB publishes rates against TRY only")
        return base, quote

    def _rate(self, bulletin: Bulletin, base: str, quote: str) -> Decimal | None:
        if quote == "TRY":
            return bulletin.rates.get(base)
        per_unit = bulletin.rates.get(quote)
        return None if per_unit is None else Decimal(1) / per_unit

    def _bulletin(self, url: str, symbol: str) -> Bulletin | None:
        return self._client.fetch("GET", url, lambda r: self._parse(r, symbol), symbol=symbol)

    def _parse(self, response: httpx.Response, symbol: str) -> Bulletin | None:
        if response.status_code == 404:
            return None  # no bulletin that day (weekend, holiday, not yet published)
        if response.status_code != 200:
            raise reject(self.name, symbol, f"unexpected HTTP {response.status_code}")
        root = load_xml(response, self.name, symbol)
        if root.tag != "Tarih_Date":
            raise reject(self.name, symbol, f"unexpected root element {root.tag[:30]}")
        try:
            day = datetime.strptime(root.get("Tarih", ""), "%d.%m.%Y").date()
        except ValueError:
            raise reject(self.name, symbol, "bulletin without a valid Tarih") from None
        rates: dict[str, Decimal] = {}
        for element in root.iter("Currency"):
            code = element.get("CurrencyCode") or element.get("Kod") or ""
            rate = self._currency_rate(element, code, symbol)
            if rate is not None:
                rates[code] = rate
        if not rates:
            raise reject(self.name, symbol, "bulletin without any rate")
        return Bulletin(day, rates)

    def _currency_rate(self, element: ET.Element, code: str, symbol: str) -> Decimal | None:
        value = (element.findtext(self._field) or "").strip()
        if not value:
            return None  # TCMB leaves some fields empty for some currencies (e.g. XDR)
        try:
            unit = as_decimal((element.findtext("Unit") or "1").strip())
            if unit <= 0:
                raise ValueError(f"unit {unit}")
            return check_price(value, RATE_BOUNDS) / unit
        except ValueError as exc:
            skip_point(self.name, symbol, code[:5], str(exc))
            return None
