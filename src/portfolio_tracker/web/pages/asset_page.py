"""One asset's page: its price chart with the trades marked, the holding, open lots, realised
sells with the lots they consumed, its transactions, and its manual prices (add, delete).

Every figure comes from the services behind the API: the FIFO of GET /api/assets/{id}/lots
and /realized, the holding of GET /api/portfolio, the transactions of GET /api/transactions,
the manual prices of /api/prices/manual, and the price series the portfolio values with.
The chart is drawn by static/js/asset.js from a JSON data block; the same closes are in a
table below it, so nothing needs the script to be read.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Response
from pydantic import ValidationError

from portfolio_tracker.assets import service as assets_service
from portfolio_tracker.assets.ledger import trade_dates_of_asset
from portfolio_tracker.assets.schemas import AssetOut, Holding, LotOut, RealizationOut
from portfolio_tracker.engine.money import to_plain_str
from portfolio_tracker.engine.prices import PriceSeries
from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.manual_prices import service as manual_prices
from portfolio_tracker.manual_prices.schemas import ManualPriceCreate, ManualPriceOut
from portfolio_tracker.portfolio import service as portfolio_service
from portfolio_tracker.portfolio.asset_prices import asset_prices
from portfolio_tracker.portfolio.cache import PortfolioCache
from portfolio_tracker.portfolio.deps import Cache
from portfolio_tracker.portfolio.schemas import PortfolioOut
from portfolio_tracker.transactions import service as transactions_service
from portfolio_tracker.transactions.schemas import TransactionOut
from portfolio_tracker.web.forms import (
    Errors,
    errors_from_refusal,
    errors_from_validation,
    form_values,
)
from portfolio_tracker.web.page import Page, SignedInForm, SignedInPage
from portfolio_tracker.web.pages import choices
from portfolio_tracker.web.pages.assets import done_notice
from portfolio_tracker.web.pages.dashboard import is_stale, price_source
from portfolio_tracker.web.routing import page_router

router = page_router()

TRANSACTIONS_SHOWN = 1000  # the newest ones; an import can bring many more
TABLE_ROWS = 60  # the chart's table alternative shows at most about this many closes


def table_closes(series: PriceSeries | None) -> list[tuple[Any, Any]]:
    """Every n-th close, newest first, always the last one: a readable table of the chart."""
    if series is None or not len(series):
        return []
    step = max(1, -(-len(series) // TABLE_ROWS))
    last = len(series) - 1
    picked = [i for i in range(len(series)) if i % step == 0 or i == last]
    return [(series.dates[i], series.closes[i]) for i in reversed(picked)]


def chart_data(
    page: Page, asset: AssetOut, series: PriceSeries | None, trades: list[TransactionOut]
) -> dict[str, Any]:
    """What asset.js draws: closes and trades as exact decimal strings (it plots floats)."""
    prefix, suffix = page.format.money_affixes(asset.currency)
    return {
        "locale": page.locale,
        "moneyPrefix": prefix,
        "moneySuffix": suffix,
        "dates": [d.isoformat() for d in series.dates] if series else [],
        "closes": [to_plain_str(c) for c in series.closes] if series else [],
        "trades": [
            {
                "date": t.trade_date.isoformat(),
                "type": t.type.value,
                "price": to_plain_str(t.price_per_unit),
                "quantity": to_plain_str(t.quantity),
            }
            for t in trades
        ],
    }


def asset_page(
    page: Page,
    cache: PortfolioCache,
    asset_id: uuid.UUID,
    price_values: dict[str, str] | None = None,
    price_errors: Errors | None = None,
) -> Response:
    user_id = page.user.id
    stored, fifo = assets_service.fifo_of(page.db, user_id, asset_id)
    asset = AssetOut.model_validate(stored)
    rows, total = transactions_service.list_transactions(
        page.db, user_id, asset_id, TRANSACTIONS_SHOWN, 0
    )
    trades = [TransactionOut.of(r) for r in rows]
    dates = trade_dates_of_asset(page.db, asset_id)
    summary = PortfolioOut.model_validate_json(
        portfolio_service.portfolio_summary(page.db, cache, user_id, None)
    )
    holding = next((h for h in summary.holdings if h.asset_id == str(asset_id)), None)
    prices = asset_prices(page.db, user_id, asset_id)
    manual = [
        ManualPriceOut.model_validate(p)
        for p in reversed(manual_prices.list_manual_prices(page.db, user_id, asset_id))
    ]
    series = prices.series
    return page.render(
        "asset.html",
        422 if price_errors else 200,
        asset=asset,
        position=Holding.of(fifo),
        holding=holding,
        stale=holding is not None and is_stale(holding),
        source=price_source(page, holding, asset.effective_price_source) if holding else None,
        base_currency=summary.base_currency,
        lots=[LotOut.of(lot, dates) for lot in fifo.open_lots],
        sells=[RealizationOut.of(sell, dates) for sell in fifo.realizations],
        trades=list(reversed(trades)),
        trades_total=total,
        series=series,
        first=(series.dates[0], series.closes[0]) if series else None,
        last=(series.dates[-1], series.closes[-1]) if series else None,
        closes=table_closes(series),
        chart=chart_data(page, asset, series, trades),
        manual=manual,
        price_values=price_values or {"date": prices.today.isoformat(), "price": ""},
        price_errors=price_errors or {},
        today=prices.today,
        type_label=dict(choices.asset_types(page.gettext))[asset.type.value],
        unit_label=dict(choices.metal_units(page.gettext)).get(asset.unit or "", ""),
        trade_labels=dict(choices.trade_types(page.gettext)),
        notice=done_notice(page),
    )


@router.get("/assets/{asset_id}")
def asset_detail(asset_id: uuid.UUID, page: SignedInPage, cache: Cache) -> Response:
    return asset_page(page, cache, asset_id)


@router.post("/assets/{asset_id}/prices")
def add_manual_price(asset_id: uuid.UUID, page: SignedInForm, cache: Cache) -> Response:
    """Records (or replaces) the asset's price on a day, as POST /api/prices/manual does."""
    values = form_values(page.form, ("date", "price"))
    values["price"] = choices.typed_decimal(values["price"])
    try:
        body = ManualPriceCreate.model_validate({**values, "asset_id": str(asset_id)})
        manual_prices.put_manual_price(page.db, page.user.id, body)
    except ValidationError as exc:
        errors = errors_from_validation(exc, page.gettext)
        return asset_page(page, cache, asset_id, values, errors)
    except InvalidInput as exc:
        page.db.rollback()
        errors = errors_from_refusal(exc, page.gettext)
        return asset_page(page, cache, asset_id, values, errors)
    return page.redirect(f"/assets/{asset_id}?done=price-saved#manual-prices")


@router.post("/assets/{asset_id}/prices/{price_id}/delete")
def delete_manual_price(asset_id: uuid.UUID, price_id: uuid.UUID, page: SignedInForm) -> Response:
    manual_prices.delete_manual_price(page.db, page.user.id, price_id)
    return page.redirect(f"/assets/{asset_id}?done=price-deleted#manual-prices")
