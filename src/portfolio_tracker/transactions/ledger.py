"""Reading an asset's trade history as engine values, and locking the asset for a write.

The engine's hot path wants plain columns, not ORM objects (see architecture.md).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import Asset, Transaction
from portfolio_tracker.db.versions import bump_user
from portfolio_tracker.engine.lots import Trade
from portfolio_tracker.errors import NotFound

ASSET_NOT_FOUND = "Asset not found."

_TRADE_COLUMNS = (
    Transaction.id,
    Transaction.type,
    Transaction.quantity,
    Transaction.price_per_unit,
    Transaction.fee,
    Transaction.transaction_date,
    Transaction.sequence,
)


def load_trades(db: Session, asset_id: uuid.UUID) -> list[Trade]:
    rows = db.execute(
        select(*_TRADE_COLUMNS)
        .where(Transaction.asset_id == asset_id)
        .order_by(Transaction.transaction_date, Transaction.sequence)
    )
    return [
        Trade(
            id=str(row.id),
            kind=row.type,
            quantity=row.quantity,
            price_per_unit=row.price_per_unit,
            fee=row.fee,
            at=row.transaction_date,
            sequence=row.sequence,
        )
        for row in rows
    ]


def lock_asset(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID) -> int:
    """Take the asset's write lock and return its next transaction sequence number.

    The UPDATE is what serialises writers: PostgreSQL holds the row lock until commit, and
    SQLite's write lock is taken at the first write of the transaction, before the history
    is read. A second writer therefore always sees the first one's committed rows.
    Raises NotFound when the asset is missing or not the caller's.
    """
    sequence = db.execute(
        update(Asset)
        .where(Asset.id == asset_id, Asset.user_id == user_id)
        .values(next_sequence=Asset.next_sequence + 1)
        .returning(Asset.next_sequence)
    ).scalar_one_or_none()
    if sequence is None:
        raise NotFound(ASSET_NOT_FOUND)
    bump_user(db, user_id)  # every transaction write goes through here
    return sequence
