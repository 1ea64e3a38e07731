"""Recording, editing and deleting transactions without ever breaking the history.

Every write takes the asset's lock, replays the asset's history with the change applied,
and writes only if no sell ever exceeds what is held at its moment (else OversellError,
and nothing is written).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portfolio_tracker.assets.ledger import load_trades, lock_asset, next_entry_number, trade_of
from portfolio_tracker.assets.service import get_owned as get_owned_asset
from portfolio_tracker.db.models import Transaction
from portfolio_tracker.db.trade_order import TRADE_ORDER
from portfolio_tracker.engine.lots import check_history
from portfolio_tracker.errors import NotFound
from portfolio_tracker.transactions.dates import resolve_trade_date, store_trade_date
from portfolio_tracker.transactions.schemas import TransactionCreate, TransactionUpdate

TRANSACTION_NOT_FOUND = "Transaction not found."


def list_transactions(
    db: Session,
    user_id: uuid.UUID,
    asset_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Transaction], int]:
    """One page of the user's transactions (of one asset of theirs when `asset_id` is given;
    NotFound when it is not theirs) and the count before paging."""
    if asset_id is not None:
        get_owned_asset(db, user_id, asset_id)
    query = select(Transaction).where(Transaction.user_id == user_id)
    if asset_id is not None:
        query = query.where(Transaction.asset_id == asset_id)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(*TRADE_ORDER).limit(limit).offset(offset)).all()
    return rows, total


def get_owned(db: Session, user_id: uuid.UUID, transaction_id: uuid.UUID) -> Transaction:
    row = db.scalar(
        select(Transaction).where(Transaction.id == transaction_id, Transaction.user_id == user_id)
    )
    if row is None:
        raise NotFound(TRANSACTION_NOT_FOUND)
    return row


def create_transaction(db: Session, user_id: uuid.UUID, body: TransactionCreate) -> Transaction:
    lock_asset(db, user_id, body.asset_id)
    when = resolve_trade_date(db, user_id, body.transaction_date)
    row = Transaction(
        id=uuid.uuid4(),
        user_id=user_id,
        asset_id=body.asset_id,
        type=body.type.value,
        quantity=body.quantity,
        price_per_unit=body.price_per_unit,
        fee=body.fee,
        note=body.note,
        entry_number=next_entry_number(db, user_id),
    )
    store_trade_date(row, when)
    check_history([*load_trades(db, body.asset_id), trade_of(row)])
    db.add(row)
    db.commit()
    return row


def update_transaction(
    db: Session, user_id: uuid.UUID, transaction_id: uuid.UUID, body: TransactionUpdate
) -> Transaction:
    row = get_owned(db, user_id, transaction_id)
    changes = body.model_dump(exclude_unset=True)
    source_asset = row.asset_id
    target_asset = body.asset_id or source_asset
    # Lock in a fixed order so two moves between the same assets cannot deadlock.
    for asset_id in sorted({source_asset, target_asset}):
        lock_asset(db, user_id, asset_id)
    db.refresh(row)  # another writer may have changed it before we held the lock
    # A move or an edit keeps the entry number: the trade keeps its place among equal dates.
    given_date = changes.pop("transaction_date", None)
    if given_date is not None:
        store_trade_date(row, resolve_trade_date(db, user_id, given_date))
    for field, value in changes.items():
        setattr(row, field, value.value if field == "type" else value)
    edited = trade_of(row)
    edited_id = str(row.id)
    for asset_id in {source_asset, target_asset}:
        history = [t for t in load_trades(db, asset_id) if t.id != edited_id]
        if asset_id == target_asset:
            history.append(edited)
        check_history(history)
    db.commit()
    return row


def delete_transaction(db: Session, user_id: uuid.UUID, transaction_id: uuid.UUID) -> None:
    row = get_owned(db, user_id, transaction_id)
    lock_asset(db, user_id, row.asset_id)
    remaining = [t for t in load_trades(db, row.asset_id) if t.id != str(row.id)]
    check_history(remaining)
    db.delete(row)
    db.commit()
