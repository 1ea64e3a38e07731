"""The assets API."""

from __future__ import annotations

import uuid

from fastapi import status

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED, Responses
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.assets import service
from portfolio_tracker.assets.ledger import trade_dates_of_asset
from portfolio_tracker.assets.schemas import (
    AssetCreate,
    AssetDetail,
    AssetOut,
    AssetUpdate,
    Holding,
    LotOut,
    RealizationOut,
)
from portfolio_tracker.prices.deps import Backfill

router = api_router(prefix="/api/assets", tags=["assets"])

ERRORS: Responses = {
    **NOT_AUTHENTICATED,
    404: {"description": "No such asset of yours"},
}


@router.get("", response_model=list[AssetOut], responses=NOT_AUTHENTICATED)
def list_assets(principal: CurrentUser, db: DbSession) -> list[AssetOut]:
    """The caller's assets, oldest first."""
    return [AssetOut.model_validate(a) for a in service.list_assets(db, principal.user.id)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AssetOut, responses=ERRORS)
def create_asset(
    body: AssetCreate,
    principal: CurrentUser,
    db: DbSession,
    backfill: Backfill,
) -> AssetOut:
    """Record a new asset (no transactions yet). In the background after the answer: its
    daily history when its type and ticker map to a price feed, and the exchange rates that
    convert it into your base currency over the same years."""
    asset = service.create_asset(db, principal.user.id, body)
    backfill.new_asset(asset.id)
    return AssetOut.model_validate(asset)


@router.get("/{asset_id}", response_model=AssetDetail, responses=ERRORS)
def get_asset(asset_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> AssetDetail:
    """One asset with its holding under its cost-basis method and corporate actions:
    quantity, cost basis, average cost, realised P&L."""
    asset, fifo = service.fifo_of(db, principal.user.id, asset_id)
    base = AssetOut.model_validate(asset)
    return AssetDetail(**base.model_dump(), holding=Holding.of(fifo))


@router.put("/{asset_id}", response_model=AssetOut, responses=ERRORS)
def update_asset(
    asset_id: uuid.UUID, body: AssetUpdate, principal: CurrentUser, db: DbSession
) -> AssetOut:
    """Change an asset's name, type, ticker, currency or cost-basis method (fields left out
    stay as they are). A new method recomputes every figure from the history; 422 when the
    history cannot replay under it (`specific` allocations that do not hold)."""
    return AssetOut.model_validate(service.update_asset(db, principal.user.id, asset_id, body))


@router.delete("/{asset_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def delete_asset(asset_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> None:
    """Delete an asset and all of its transactions."""
    service.delete_asset(db, principal.user.id, asset_id)


@router.get("/{asset_id}/lots", response_model=list[LotOut], responses=ERRORS)
def open_lots(asset_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> list[LotOut]:
    """The open lots, oldest first, in post-corporate-action units (under any method)."""
    asset, fifo = service.fifo_of(db, principal.user.id, asset_id)
    dates = trade_dates_of_asset(db, asset.id)
    return [LotOut.of(lot, dates) for lot in fifo.open_lots]


@router.get("/{asset_id}/realized", response_model=list[RealizationOut], responses=ERRORS)
def realized(asset_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> list[RealizationOut]:
    """Each sell with the lots it consumed, its proceeds, cost and realised P&L."""
    asset, fifo = service.fifo_of(db, principal.user.id, asset_id)
    dates = trade_dates_of_asset(db, asset.id)
    return [RealizationOut.of(sell, dates) for sell in fifo.realizations]
