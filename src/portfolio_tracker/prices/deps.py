"""The price stack as request dependencies: the service, the per-user throttle, backfills.

`create_app` builds one `PriceStack` and stores it as ``app.state.prices``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request

from portfolio_tracker.accounts.auth import CurrentUser, Principal
from portfolio_tracker.api.deps import Core, CoreRuntime, from_state
from portfolio_tracker.prices.providers.registry import PriceFeeds
from portfolio_tracker.prices.quote_cache import QuoteCache
from portfolio_tracker.prices.rate_limit import PriceThrottle
from portfolio_tracker.prices.refresh import backfill_fx_for_trade, backfill_new_asset
from portfolio_tracker.prices.service import PriceService


@dataclass(frozen=True, slots=True)
class PriceStack:
    """The feeds, the shared quote cache, the per-user throttle and the service on top."""

    feeds: PriceFeeds
    quote_cache: QuoteCache
    throttle: PriceThrottle
    service: PriceService


def price_stack(request: Request) -> PriceStack:
    return from_state(request, "prices", PriceStack)


Prices = Annotated[PriceStack, Depends(price_stack)]


def price_caller(principal: CurrentUser, prices: Prices) -> Principal:
    """The authenticated caller, counted against the per-user price rate limit."""
    prices.throttle.hit(str(principal.user.id))
    return principal


PriceCaller = Annotated[Principal, Depends(price_caller)]


@dataclass(frozen=True, slots=True)
class Backfiller:
    """Schedules the price and rate fetches a write calls for, to run after the answer.

    Does nothing when PRICE_BACKFILL_ON_CREATE is off (tests, offline installs).
    """

    core: Core
    service: PriceService
    background: BackgroundTasks

    @property
    def enabled(self) -> bool:
        return self.core.settings.price_backfill_on_create

    def new_asset(self, asset_id: uuid.UUID) -> None:
        """A new asset's daily history and the rates into the owner's base currency."""
        if self.enabled:
            self.background.add_task(
                backfill_new_asset, self.core.session_factory, self.service, asset_id
            )

    def imported(self, created: Sequence[uuid.UUID], first_days: Mapping[uuid.UUID, date]) -> None:
        """After an import: each created asset's history, and for the other assets the rates
        of their first imported trade day (`first_days`: asset -> that day)."""
        for asset_id in created:
            self.new_asset(asset_id)
        for asset_id, day in first_days.items():
            if asset_id not in created:
                self.trade_day(asset_id, day)

    def trade_day(self, asset_id: uuid.UUID, day: date) -> None:
        """Rates for a trade's day (docs/api-prices.md): the task checks what is stored and
        fetches only a missing range, so a covered trade costs a few small queries."""
        if self.enabled:
            self.background.add_task(
                backfill_fx_for_trade, self.core.session_factory, self.service, asset_id, day
            )


def backfiller(core: CoreRuntime, prices: Prices, background: BackgroundTasks) -> Backfiller:
    return Backfiller(core, prices.service, background)


Backfill = Annotated[Backfiller, Depends(backfiller)]
