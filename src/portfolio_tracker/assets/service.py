"""Assets of one user: every query is scoped to the owner."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portfolio_tracker.api.bodies import validate_whole
from portfolio_tracker.assets.ledger import (
    ASSET_NOT_FOUND,
    Basis,
    load_actions,
    load_allocations,
    load_basis,
    load_trades,
    lock_asset,
)
from portfolio_tracker.assets.schemas import AssetCreate, AssetUpdate
from portfolio_tracker.db.models import Asset, Transaction
from portfolio_tracker.db.versions import bump_user
from portfolio_tracker.engine.lots import OversellError
from portfolio_tracker.engine.methods import AllocationError, LotsResult
from portfolio_tracker.engine.vocabulary import CostBasisMethod
from portfolio_tracker.errors import InvalidInput, NotFound


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
        foreign_security=body.foreign_security,
        cost_basis_method=body.cost_basis_method.value,
    )
    db.add(asset)
    bump_user(db, user_id)
    db.commit()
    return asset


# Fields that say what one unit of the asset is: changing them would silently turn recorded
# quantities into something else (2 coins into 2 kilograms).
_UNIT_FIELDS = ("type", "unit", "fineness")


def update_asset(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID, body: AssetUpdate) -> Asset:
    """Apply the fields given; the result is validated as a create of it would be, and an
    asset with transactions keeps its type, unit and fineness (422 otherwise)."""
    asset = get_owned(db, user_id, asset_id)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("price_source", "given") is None:
        del changes["price_source"]  # null keeps the current source
    stored = {
        "name": asset.name,
        "type": asset.type,
        "ticker_symbol": asset.ticker_symbol,
        "currency": asset.currency,
        "unit": asset.unit,
        "fineness": asset.fineness,
        "price_source": asset.price_source or "auto",
        "foreign_security": asset.foreign_security,
        "cost_basis_method": asset.cost_basis_method,
    }
    whole = validate_whole(AssetCreate, {**stored, **changes})
    new_type = whole.type.value
    new_unit = whole.unit.value if whole.unit else None
    new: dict[str, object] = {"type": new_type, "unit": new_unit, "fineness": whole.fineness}
    moved = [field for field in _UNIT_FIELDS if new[field] != stored[field]]
    if moved:
        lock_asset(db, user_id, asset.id)  # no trade is recorded while we decide
        if db.scalar(select(Transaction.id).where(Transaction.asset_id == asset.id).limit(1)):
            raise InvalidInput(
                f"cannot change the {moved[0]} of an asset that has transactions: their "
                "quantities would be reinterpreted (2 coins would become 2 kilograms). Create "
                f"a new asset with the new {moved[0]} and record the trades there instead.",
                ["body", moved[0]],
            )
    if whole.cost_basis_method.value != stored["cost_basis_method"]:
        _check_method(db, user_id, asset, whole.cost_basis_method, locked=bool(moved))
    asset.name = whole.name
    asset.type = new_type
    asset.ticker_symbol = whole.ticker_symbol
    asset.currency = whole.currency
    asset.unit = new_unit
    asset.fineness = whole.fineness
    asset.price_source = whole.price_source.value
    asset.foreign_security = whole.foreign_security
    asset.cost_basis_method = whole.cost_basis_method.value
    bump_user(db, user_id)
    db.commit()
    return asset


def _check_method(
    db: Session, user_id: uuid.UUID, asset: Asset, method: CostBasisMethod, *, locked: bool
) -> None:
    """Refuse (422 at cost_basis_method) a method under which the recorded history would not
    replay: under `specific`, a stored allocation that names a lot without the quantity.
    No transaction is ever rewritten: every figure is recomputed from the history."""
    if not locked:
        lock_asset(db, user_id, asset.id)  # no trade is recorded while we decide
    allocations = load_allocations(db, asset.id) if method == CostBasisMethod.specific else {}
    basis = Basis(method, load_actions(db, asset.id), allocations)
    try:
        basis.check(load_trades(db, asset.id))
    except (AllocationError, OversellError) as exc:
        raise InvalidInput(
            f"the history does not replay under {method.value}: {exc}",
            ["body", "cost_basis_method"],
        ) from exc


def delete_asset(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID) -> None:
    """Deletes the asset; its transactions go with it (ON DELETE CASCADE)."""
    deleted = db.execute(delete(Asset).where(Asset.id == asset_id, Asset.user_id == user_id))
    if deleted.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(ASSET_NOT_FOUND)
    bump_user(db, user_id)
    db.commit()


def fifo_of(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID) -> tuple[Asset, LotsResult]:
    """The asset and its lots under its cost-basis method and corporate actions."""
    asset = get_owned(db, user_id, asset_id)
    return asset, load_basis(db, asset.id).run(load_trades(db, asset.id))
