"""TEFAS mutual funds (TRY), through the JSON API the site moved to in April 2026.

``POST <root>/api/funds/fonFiyatBilgiGetir`` with ``{"fonKodu", "dil", "periyod"}`` where
``periyod`` is a fixed look-back in months (1, 3, 6, 12, 36, 60): the API takes no dates,
so we ask for the smallest bucket that reaches back to ``start`` and filter here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

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

ISTANBUL = ZoneInfo("Europe/Istanbul")
PERIOD_MONTHS = (1, 3, 6, 12, 36, 60)
_FUND_CODE = re.compile(r"^[A-Z0-9]{2,6}$")
# TEFAS answers an unknown code (and an empty day) with this leaked Java message.
_EMPTY_MARKER = "Index 0 out of bounds"


def months_back(day: date, months: int) -> date:
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable: day 28 exists in every month")


def period_for(start: date, today: date) -> int:
    """The smallest TEFAS look-back bucket covering ``start``; the 5-year one at most."""
    for months in PERIOD_MONTHS:
        if months_back(today, months) <= start:
            return months
    return PERIOD_MONTHS[-1]


def istanbul_today() -> date:
    return datetime.now(ISTANBUL).date()


class TefasProvider:
    """Fund NAVs in TRY by TEFAS fund code (e.g. ``YAC``, ``AAL``)."""

    name = "tefas"
    currency = "TRY"

    def __init__(
        self,
        client: FeedClient,
        base_url: str,
        *,
        today: Callable[[], date] = istanbul_today,
        bounds: PriceBounds = DEFAULT_BOUNDS,
    ) -> None:
        self._client = client
        self._url = f"{base_url}/api/funds/fonFiyatBilgiGetir"
        self._origin = base_url
        self._today = today
        self._bounds = bounds

    def latest(self, symbol: str) -> Quote:
        points = self._fetch(symbol, 1)
        if not points:
            raise reject(self.name, symbol, "no valid price in the last month")
        last = points[-1]
        as_of = datetime.combine(last.day, time(0), ISTANBUL).astimezone(UTC)
        return Quote(
            symbol=last.symbol,
            price=last.close,
            currency=self.currency,
            as_of=as_of,
            source=self.name,
        )

    def history(self, symbol: str, start: date, end: date) -> list[PricePoint]:
        if end < start:
            return []
        today = self._today()
        months = period_for(start, today)
        if months_back(today, months) > start:
            logger.info(
                "tefas: %s history before %s is beyond the 5-year API limit",
                symbol,
                months_back(today, months),
            )
        return [p for p in self._fetch(symbol, months) if start <= p.day <= end]

    def _fetch(self, symbol: str, months: int) -> list[PricePoint]:
        code = symbol.strip().upper()
        if not _FUND_CODE.match(code):
            raise SymbolNotFound(self.name, symbol, "not a TEFAS fund code")
        body = {"fonKodu": code, "dil": "TR", "periyod": months}
        headers = {
            "Accept": "application/json",
            "Origin": self._origin,
            "Referer": f"{self._origin}/tr/fon-verileri",
        }
        return self._client.fetch(
            "POST",
            self._url,
            lambda r: self._parse(r, code),
            symbol=code,
            json=body,
            headers=headers,
        )

    def _parse(self, response: httpx.Response, code: str) -> list[PricePoint]:
        if response.status_code != 200:
            raise reject(self.name, code, f"unexpected HTTP {response.status_code}")
        payload = load_json(response, self.name, code)
        if not isinstance(payload, dict) or "resultList" not in payload:
            raise reject(self.name, code, "no resultList in the answer")
        error = payload.get("errorMessage")
        rows: Any = payload.get("resultList")
        if error:
            if _EMPTY_MARKER in str(error):
                rows = []
            else:
                raise reject(self.name, code, f"TEFAS error: {str(error)[:100]}")
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            raise reject(self.name, code, "resultList is not a list")
        if not rows:
            raise SymbolNotFound(self.name, code, "TEFAS returned no prices for this code")
        by_day: dict[date, PricePoint] = {}
        for index, row in enumerate(rows):
            point = self._point(row, code, index)
            if point is not None:
                by_day[point.day] = point
        return [by_day[day] for day in sorted(by_day)]

    def _point(self, row: object, code: str, index: int) -> PricePoint | None:
        where = f"#{index}"
        if not isinstance(row, dict):
            skip_point(self.name, code, where, "row is not an object")
            return None
        if row.get("fonKodu") not in (None, code):
            skip_point(self.name, code, where, f"row is for fund {str(row.get('fonKodu'))[:8]}")
            return None
        try:
            day = date.fromisoformat(str(row.get("tarih")))
            close = check_price(row.get("fiyat"), self._bounds)
        except ValueError as exc:
            skip_point(self.name, code, where, str(exc))
            return None
        return PricePoint(
            symbol=code, day=day, close=close, currency=self.currency, source=self.name
        )
