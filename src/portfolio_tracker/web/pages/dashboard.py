"""GET /: the dashboard when signed in (the portfolio service's summary, as the API's
GET /api/portfolio answers it), the sign-in page when not.

The value-over-time chart is drawn by static/js/dashboard.js from GET /api/portfolio/history;
this page only hands it its settings in a JSON data block (no inline script).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fastapi import Response

from portfolio_tracker.assets import service as assets_service
from portfolio_tracker.assets.schemas import AssetOut
from portfolio_tracker.portfolio import service as portfolio_service
from portfolio_tracker.portfolio.cache import PortfolioCache
from portfolio_tracker.portfolio.deps import Cache
from portfolio_tracker.portfolio.schemas import AllocationOut, HoldingOut, PortfolioOut
from portfolio_tracker.web.page import AnyPage, Page
from portfolio_tracker.web.pages.auth import sign_in_form
from portfolio_tracker.web.routing import page_router

router = page_router()

# A price older than this many days is marked stale: funds and stocks do not trade at weekends
# and on holidays (so 4 days), crypto trades every day.
STALE_AFTER_DAYS = {"crypto": 1}
DEFAULT_STALE_AFTER_DAYS = 4
BENCHMARKS = ("USDTRY", "XAU", "CPI")
RANGES = ("1M", "3M", "YTD", "1Y", "5Y", "ALL")
SLICE_COLOURS = 8  # .slice-0 ... .slice-7 in app.css


@dataclass(frozen=True, slots=True)
class Slice:
    """One arc of an allocation donut: SVG stroke-dasharray/offset on a circle of length 100."""

    key: str
    market_value: Decimal
    weight: Decimal
    dash: str
    offset: str
    colour: int


@dataclass(frozen=True, slots=True)
class HoldingRow:
    holding: HoldingOut
    source: str | None
    stale: bool


def allocation_slices(items: list[AllocationOut]) -> list[Slice]:
    """Arcs of a donut (floats: drawing only, the figures shown stay Decimal)."""
    slices, start = [], 0.0
    for index, item in enumerate(items):
        share = max(0.0, min(100.0, float(item.weight) * 100))
        slices.append(
            Slice(
                key=item.key,
                market_value=item.market_value,
                weight=item.weight,
                dash=f"{share:.3f} {100 - share:.3f}",
                # The circle starts at 3 o'clock; 25 moves the first arc to 12 o'clock.
                offset=f"{(25 - start) % 100:.3f}",
                colour=index % SLICE_COLOURS,
            )
        )
        start += share
    return slices


def is_stale(holding: HoldingOut) -> bool:
    if holding.staleness_days is None:
        return False
    limit = STALE_AFTER_DAYS.get(holding.type, DEFAULT_STALE_AFTER_DAYS)
    return holding.staleness_days > limit


def price_source(page: Page, holding: HoldingOut, feed: str | None) -> str:
    """Where the price shown came from: the asset's feed (TEFAS, Yahoo, ...), a manual price,
    or the price of the last trade (the summary's `price_source`)."""
    if holding.price_source == "manual":
        return page.gettext("manual")
    if holding.price_source == "trade":
        return page.gettext("last trade")
    return feed or page.gettext("feed")


def holding_rows(page: Page, summary: PortfolioOut, assets: list[AssetOut]) -> list[HoldingRow]:
    feeds = {str(a.id): a.effective_price_source for a in assets}
    return [
        HoldingRow(h, price_source(page, h, feeds.get(h.asset_id)), is_stale(h))
        for h in summary.holdings
    ]


@router.get("/")
def home(page: AnyPage, cache: Cache) -> Response:
    if page.principal is None:
        return sign_in_form(page)
    return dashboard(page, cache)


def dashboard(page: Page, cache: PortfolioCache) -> Response:
    body = portfolio_service.portfolio_summary(page.db, cache, page.user.id, None)
    summary = PortfolioOut.model_validate_json(body)
    assets = [AssetOut.model_validate(a) for a in assets_service.list_assets(page.db, page.user.id)]
    prefix, suffix = page.format.money_affixes(summary.base_currency)
    chart = {
        "historyUrl": "/api/portfolio/history",
        "locale": page.locale,
        "currency": summary.base_currency,
        "moneyPrefix": prefix,
        "moneySuffix": suffix,
        "today": summary.on.isoformat(),
        "benchmarks": list(BENCHMARKS),
    }
    return page.render(
        "dashboard.html",
        summary=summary,
        rows=holding_rows(page, summary, assets),
        by_type=allocation_slices(summary.allocation_by_type),
        by_currency=allocation_slices(summary.allocation_by_currency),
        has_trades=any(h.quantity or h.realized_pnl for h in summary.holdings),
        chart=chart,
        ranges=RANGES,
        benchmarks=BENCHMARKS,
    )
