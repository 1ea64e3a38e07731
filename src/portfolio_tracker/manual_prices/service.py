"""Manual prices of one user's assets: every query is scoped to the owner."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portfolio_tracker.assets.service import get_owned
from portfolio_tracker.db.models import ManualPrice
from portfolio_tracker.db.upsert import put_row
from portfolio_tracker.db.versions import bump_user
from portfolio_tracker.errors import NotFound
from portfolio_tracker.manual_prices.schemas import ManualPriceCreate
from portfolio_tracker.usersettings.service import not_after_today, user_time_zone

MANUAL_PRICE_NOT_FOUND = "Manual price not found."


def list_manual_prices(
    db: Session, user_id: uuid.UUID, asset_id: uuid.UUID | None
) -> list[ManualPrice]:
    query = select(ManualPrice).where(ManualPrice.user_id == user_id)
    if asset_id is not None:
        get_owned(db, user_id, asset_id)  # a foreign asset is a 404, not an empty list
        query = query.where(ManualPrice.asset_id == asset_id)
    return list(db.scalars(query.order_by(ManualPrice.asset_id, ManualPrice.day)))


def put_manual_price(
    db: Session, user_id: uuid.UUID, body: ManualPriceCreate
) -> tuple[ManualPrice, bool]:
    """Store the price of an asset on a day; an existing one for that day is replaced.

    Returns the row and whether it was newly created.
    """
    asset = get_owned(db, user_id, body.asset_id)
    not_after_today(body.date, user_time_zone(db, user_id), ["body", "date"])
    currency = body.currency or asset.currency

    def update(row: ManualPrice) -> None:
        row.price, row.currency = body.price, currency

    return put_row(
        db,
        find=lambda: db.scalar(
            select(ManualPrice).where(
                ManualPrice.asset_id == asset.id,
                ManualPrice.user_id == user_id,
                ManualPrice.day == body.date,
            )
        ),
        create=lambda: ManualPrice(
            id=uuid.uuid4(),
            user_id=user_id,
            asset_id=asset.id,
            day=body.date,
            price=body.price,
            currency=currency,
        ),
        update=update,
        touch=lambda: bump_user(db, user_id),
    )


def delete_manual_price(db: Session, user_id: uuid.UUID, price_id: uuid.UUID) -> None:
    deleted = db.execute(
        delete(ManualPrice).where(ManualPrice.id == price_id, ManualPrice.user_id == user_id)
    )
    if deleted.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(MANUAL_PRICE_NOT_FOUND)
    bump_user(db, user_id)
    db.commit()
