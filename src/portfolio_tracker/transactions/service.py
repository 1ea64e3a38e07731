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

from portfolio_tracker.api.bodies import validate_whole
from portfolio_tracker.assets.ledger import (
    load_trades,
    lock_asset,
    next_entry_number,
    stored_trade_date,
    trade_of,
)
from portfolio_tracker.assets.service import get_owned as get_owned_asset
from portfolio_tracker.db.models import Transaction
from portfolio_tracker.db.trade_order import TRADE_ORDER
from portfolio_tracker.engine.dates import as_given
from portfolio_tracker.engine.lots import OversellError, Trade, check_history
from portfolio_tracker.engine.money import to_plain_str
from portfolio_tracker.errors import HistoryBroken, NotFound
from portfolio_tracker.transactions.dates import resolve_trade_date, store_trade_date
from portfolio_tracker.transactions.schemas import TransactionCreate, TransactionUpdate

TRANSACTION_NOT_FOUND = "Transaction not found."
# The field a refused edit is blamed on: the change that moved the trade comes first.
_EDIT_BLAME = ("transaction_date", "asset_id", "type", "quantity")


def _replay(history: list[Trade], change: str, changed_id: str, loc: list[str]) -> None:
    """Check a history with a change applied; HistoryBroken (422 at `loc`, naming the sell
    that would oversell and by how much) when a sell would exceed what is held."""
    try:
        check_history(history)
    except OversellError as exc:
        sell = "this sell" if exc.sell_id == changed_id else f"the later sell {exc.sell_id}"
        raise HistoryBroken(
            exc,
            f"{change} would make {sell}, on {exc.day.isoformat()}, sell more than is held, "
            f"by {to_plain_str(exc.shortfall)} (held {to_plain_str(exc.held)}, selling "
            f"{to_plain_str(exc.requested)})",
            loc,
        ) from exc


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
    _replay(
        [*load_trades(db, body.asset_id), trade_of(row)],
        "this trade",
        str(row.id),
        ["body", "quantity"],
    )
    db.add(row)
    db.commit()
    return row


def update_transaction(
    db: Session, user_id: uuid.UUID, transaction_id: uuid.UUID, body: TransactionUpdate
) -> Transaction:
    row = get_owned(db, user_id, transaction_id)
    changes = body.model_dump(exclude_unset=True)
    stored = {
        "asset_id": row.asset_id,
        "type": row.type,
        "quantity": row.quantity,
        "price_per_unit": row.price_per_unit,
        "fee": row.fee,
        "note": row.note,
        "transaction_date": as_given(stored_trade_date(row)),
    }
    validate_whole(TransactionCreate, {**stored, **changes})
    changed = {field for field, value in changes.items() if value != stored[field]}
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
    loc = ["body", next((f for f in _EDIT_BLAME if f in changed), "quantity")]
    for asset_id in {source_asset, target_asset}:
        history = [t for t in load_trades(db, asset_id) if t.id != edited_id]
        if asset_id == target_asset:
            history.append(edited)
        _replay(history, "this edit", edited_id, loc)
    db.commit()
    return row


def delete_transaction(db: Session, user_id: uuid.UUID, transaction_id: uuid.UUID) -> None:
    row = get_owned(db, user_id, transaction_id)
    lock_asset(db, user_id, row.asset_id)
    remaining = [t for t in load_trades(db, row.asset_id) if t.id != str(row.id)]
    # A DELETE has no body: the refusal names the path parameter.
    _replay(remaining, "deleting this transaction", str(row.id), ["path", "transaction_id"])
    db.delete(row)
    db.commit()
