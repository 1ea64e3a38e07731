"""Price observations of an asset, and the day from which it can be valued.

Rules (docs/api-portfolio.md, "Valuation gaps"):

* An asset's price is observed from three sources. On one calendar day the highest-ranked
  observation wins: a manual price, then a feed close, then the price of the user's own
  trade. A day without an observation carries the last earlier one forward; its date
  (``PriceQuote.as_of``) shows how old it is.
* A trade observes its asset's price on its calendar day (``Trade.day``): the price per unit
  of the day's last trade in the order of trades. A trade at price 0 (a gift, a transfer in)
  says nothing about the market and observes nothing.
* An asset can be valued on day ``d`` when it has an observation on or before ``d`` and an
  exchange rate on or before ``d`` from its price series' currency and from its trade
  currency into the base (its flows must convert too). Observations and rates carry forward,
  so this holds from one date on: ``valuable_from``. Before that date the asset is left out
  of the value AND the flows of every day, never valued at 0 (engine.history).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from portfolio_tracker.engine.fx import MissingRateError, RateTable
from portfolio_tracker.engine.lots import Trade
from portfolio_tracker.engine.money import ENGINE_CONTEXT, normalize_currency
from portfolio_tracker.engine.prices import PriceSeries, QuoteSource

__all__ = [
    "SOURCE_RANK",
    "Observation",
    "observed_series",
    "trade_observations",
    "valuable_from",
]

# Higher wins on the same day.
SOURCE_RANK: dict[QuoteSource, int] = {"trade": 0, "feed": 1, "manual": 2}


@dataclass(frozen=True, slots=True)
class Observation:
    """One observed per-unit price of an asset on a calendar day."""

    on: date
    price: Decimal
    currency: str
    source: QuoteSource


def trade_observations(trades: Sequence[Trade], currency: str) -> list[Observation]:
    """One observation per calendar day (``Trade.day``) that has a trade at a price above 0.

    ``trades`` must be in the order of trades (``lots.order_trades``); the day's last such
    trade gives the price. O(trades): cache the result with the trade history.
    """
    ccy = normalize_currency(currency)
    by_day: dict[date, Decimal] = {}
    for trade in trades:
        if trade.price_per_unit:
            by_day[trade.day] = trade.price_per_unit
    return [Observation(on, price, ccy, "trade") for on, price in by_day.items()]


def observed_series(
    observations: Iterable[Observation], rates: RateTable, name: str = ""
) -> PriceSeries | None:
    """The asset's price series: on each day its highest-ranked observation (``SOURCE_RANK``;
    among equals the later given wins). None when nothing is observed.

    The series is in the currency of its latest observation; an observation in another
    currency is converted at the rate of its own day, and left out when no rate exists
    (never at 1). ``PriceSeries.sources`` names each close's source.
    """
    chosen: dict[date, Observation] = {}
    for obs in observations:
        held = chosen.get(obs.on)
        if held is None or SOURCE_RANK[obs.source] >= SOURCE_RANK[held.source]:
            chosen[obs.on] = obs
    if not chosen:
        return None
    days = sorted(chosen)
    currency = normalize_currency(chosen[days[-1]].currency)
    kept_days: list[date] = []
    closes: list[Decimal] = []
    sources: list[QuoteSource] = []
    with localcontext(ENGINE_CONTEXT):
        for on in days:
            obs = chosen[on]
            price = obs.price
            if normalize_currency(obs.currency) != currency:
                try:
                    price = price * rates.rate_on(obs.currency, currency, on).rate
                except MissingRateError:
                    continue
            kept_days.append(on)
            closes.append(price)
            sources.append(obs.source)
    return PriceSeries(currency, tuple(kept_days), tuple(closes), name, tuple(sources))


def valuable_from(
    series: PriceSeries | None, trade_currency: str, base: str, rates: RateTable
) -> date | None:
    """The first day the asset can be valued in ``base`` (see module doc); None if never."""
    if series is None or not series.dates:
        return None
    first_price_rate = rates.first_date(series.currency, base)
    first_flow_rate = rates.first_date(trade_currency, base)
    if first_price_rate is None or first_flow_rate is None:
        return None
    return max(series.dates[0], first_price_rate, first_flow_rate)
