"""Assets of one user: every query is scoped to the owner."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portfolio_tracker.assets.ledger import ASSET_NOT_FOUND, load_trades
from portfolio_tracker.assets.schemas import AssetCreate, AssetUpdate
from portfolio_tracker.db.models import Asset
from portfolio_tracker.db.versions import bump_user
from portfolio_tracker.engine.lots import FifoResult, run_fifo
from portfolio_tracker.errors import NotFound


def list_assets(db: Session, user_id: uuid.UUID) -> list[Asset]:
    return list(
        db.scalars(
            select(Asset).where(Asset.user_id == user_id).order_by(Asset.created_at, Asset.id)
        )
    )


def get_owned(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID) -> Asset:
    asset = db.scalar(select(Asset).where(Asset.id == asset_id, Asset.user_id == user_id))
    if asset is None:
        raise NotFound(ASSET_NOT_FOUND)
    return asset


def create_asset(db: Session, user_id: uuid.UUID, body: AssetCreate) -> Asset:
    asset = Asset(
        user_id=user_id,
        name=body.name,
        type=body.type.value,
        ticker_symbol=body.ticker_symbol,
        currency=body.currency,
        unit=body.unit.value if body.unit else None,
        fineness=body.fineness,
        price_source=body.price_source.value,
    )
    db.add(asset)
    bump_user(db, user_id)
    db.commit()
    return asset


def update_asset(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID, body: AssetUpdate) -> Asset:
    asset = get_owned(db, user_id, asset_id)
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "ticker_symbol", "currency", "fineness"):
        if field in changes:
            setattr(asset, field, changes[field])
    if "unit" in changes:
        asset.unit = body.unit.value if body.unit else None
    if body.type is not None:
        asset.type = body.type.value
    if body.price_source is not None:
        asset.price_source = body.price_source.value
    bump_user(db, user_id)
    db.commit()
    return asset


def delete_asset(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID) -> None:
    """Deletes the asset; its transactions go with it (ON DELETE CASCADE)."""
    deleted = db.execute(delete(Asset).where(Asset.id == asset_id, Asset.user_id == user_id))
    if deleted.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(ASSET_NOT_FOUND)
    bump_user(db, user_id)
    db.commit()


def fifo_of(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID) -> tuple[Asset, FifoResult]:
    asset = get_owned(db, user_id, asset_id)
    return asset, run_fifo(load_trades(db, asset.id))
