"""One asset's daily price history in its own currency, as the portfolio values it.

The same rows and rules as the portfolio summary and history (`loading.build_series`: feed
series for the asset's source, metal spot turned into a price per counted unit, the prices
its trades observed, the user's manual prices winning their day), then converted into the
asset's currency so the closes sit on the same scale as its trades' prices (a gram of gold
quoted from USD spot, bought in TRY). With confirmed corporate actions the closes are on the
adjusted basis (today's units; `loading.build_series`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from portfolio_tracker.assets.ledger import load_actions, load_trades
from portfolio_tracker.assets.service import get_owned
from portfolio_tracker.engine.fx import series_in_currency
from portfolio_tracker.engine.observations import trade_observations
from portfolio_tracker.engine.prices import PriceQuote, PriceSeries
from portfolio_tracker.portfolio.loading import asset_info, build_series, load_prices, load_rates
from portfolio_tracker.portfolio.service import viewer


@dataclass(frozen=True, slots=True)
class AssetPrices:
    """`series`: closes in the asset's currency, oldest first (None when nothing prices it);
    `today`: the user's today; `latest`: the close valid today (None before the first)."""

    series: PriceSeries | None
    today: date

    @property
    def latest(self) -> PriceQuote | None:
        return self.series.price_on(self.today) if self.series else None


def asset_prices(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID) -> AssetPrices:
    """The daily closes of one of the user's assets up to their today.

    Raises NotFound when the asset is missing or not the user's."""
    info = asset_info(get_owned(db, user_id, asset_id))
    today = viewer(db, user_id, None).today
    raw = load_prices(db, user_id, (info,), today, "full")
    rates = load_rates(db, user_id, {info.currency, *raw.currencies()}, today)
    traded = trade_observations(load_trades(db, info.id), info.currency)
    series = build_series(info, raw, rates, traded, load_actions(db, info.id))
    if series is not None:
        series = series_in_currency(series, info.currency, rates)
    return AssetPrices(series, today)
