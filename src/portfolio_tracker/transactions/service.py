"""Recording, editing and deleting transactions without ever breaking the history.

Every write takes the asset's lock and writes only if, with the change applied, no sell ever
exceeds what is held at its moment (else HistoryBroken, 422) and, under `specific`, every
sell's allocations still name lots with the quantity (else InvalidInput); nothing is written
otherwise. The check reads the asset's stored segment sums (`state.store.record_change`, in
the same database transaction, which also brings them up to date): an append or an edit of
an old trade reads one segment's trades, never the whole history. An asset with corporate
actions, or `specific` allocations, is replayed in full under its method instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portfolio_tracker.api.bodies import validate_whole
from portfolio_tracker.assets.ledger import (
    Basis,
    load_basis,
    load_trades,
    lock_asset,
    next_entry_number,
    stored_trade_date,
    trade_of,
)
from portfolio_tracker.assets.service import get_owned as get_owned_asset
from portfolio_tracker.db.models import SellAllocation, Transaction
from portfolio_tracker.db.trade_order import TRADE_ORDER
from portfolio_tracker.engine.dates import as_given
from portfolio_tracker.engine.lots import OversellError, Trade
from portfolio_tracker.engine.methods import AllocationError
from portfolio_tracker.engine.money import to_plain_str
from portfolio_tracker.engine.vocabulary import CostBasisMethod
from portfolio_tracker.errors import HistoryBroken, InvalidInput, NotFound
from portfolio_tracker.state.store import record_change
from portfolio_tracker.transactions.dates import resolve_trade_date, store_trade_date
from portfolio_tracker.transactions.schemas import (
    AllocationIn,
    TransactionCreate,
    TransactionUpdate,
)

TRANSACTION_NOT_FOUND = "Transaction not found."
# The field a refused edit is blamed on: the change that moved the trade comes first.
_EDIT_BLAME = ("transaction_date", "asset_id", "type", "quantity")


def _replay(
    history: list[Trade],
    change: str,
    changed_id: str,
    loc: list[str | int],
    basis: Basis,
    given: Sequence[tuple[str, Decimal]] | None = None,
) -> None:
    """Check a history with a change applied under the asset's method, corporate actions and
    allocations (`basis`, with the change's own allocations in it); HistoryBroken (422 at
    `loc`, naming the sell that would oversell and by how much) when a sell would exceed
    what is held, InvalidInput when a `specific` sell's allocations would not hold (at the
    offending entry of `given`, the allocations of this request, when they are the cause)."""
    try:
        basis.check(history)
    except OversellError as exc:
        raise _oversold(exc, change, changed_id, loc) from exc
    except AllocationError as exc:
        if exc.sell_id == changed_id and given is not None:
            where: list[str | int] = ["body", "allocations"]
            ids = [buy_id for buy_id, _ in given]
            if exc.buy_id in ids:
                field = "quantity" if exc.problem in ("insufficient", "quantity") else "lot_id"
                where = [*where, ids.index(exc.buy_id), field]
            raise InvalidInput(f"allocations of this sell: {_reason(exc)}", where) from exc
        sell = "this sell" if exc.sell_id == changed_id else f"the later sell {exc.sell_id}"
        raise InvalidInput(
            f"{change} would leave the allocations of {sell} unmet: {_reason(exc)}", loc
        ) from exc


def _oversold(
    exc: OversellError, change: str, changed_id: str, loc: list[str | int]
) -> HistoryBroken:
    sell = "this sell" if exc.sell_id == changed_id else f"the later sell {exc.sell_id}"
    return HistoryBroken(
        exc,
        f"{change} would make {sell}, on {exc.day.isoformat()}, sell more than is held, "
        f"by {to_plain_str(exc.shortfall)} (held {to_plain_str(exc.held)}, selling "
        f"{to_plain_str(exc.requested)})",
        loc,
    )


def _needs_replay(basis: Basis) -> bool:
    """Whether a write must replay the asset's history to be checked: corporate actions
    rescale the quantity held (the stored segment sums cannot follow them) and `specific`
    allocations need the lots. Otherwise the stored segments check it
    (`state.store.record_change`)."""
    return bool(basis.actions) or (
        basis.method == CostBasisMethod.specific and bool(basis.allocations)
    )


def _record(
    db: Session,
    user_id: uuid.UUID,
    asset_id: uuid.UUID,
    sequence: int,
    days: set[date],
    *,
    appended: Trade | None = None,
    check: bool,
    change: str,
    changed_id: str,
    loc: list[str | int],
) -> None:
    """Bring the asset's stored state up to date with the flushed write and, with `check`,
    refuse it (HistoryBroken) when a sell would exceed what is held."""
    try:
        record_change(db, user_id, asset_id, sequence, days, appended, check=check)
    except OversellError as exc:
        raise _oversold(exc, change, changed_id, loc) from exc


def _reason(exc: AllocationError) -> str:
    if exc.problem == "sum":
        return str(exc).split(": ", 1)[-1]
    if exc.problem == "not_open":
        return (
            f"lot {exc.buy_id} is not an open lot of this asset before the sell (a buy of the "
            "same asset, earlier, with quantity left)"
        )
    if exc.problem == "insufficient" and exc.available is not None:
        return f"lot {exc.buy_id} holds only {to_plain_str(exc.available)} at the sell's moment"
    return str(exc)


def _chosen(
    given: Sequence[AllocationIn] | None, kind: str, basis: Basis
) -> list[tuple[str, Decimal]] | None:
    """The request's allocations as the engine takes them; InvalidInput when they cannot
    apply (a buy, or an asset whose method is not `specific`). None when not given."""
    if given is None:
        return None
    if given and kind != "sell":
        raise InvalidInput("only a sell names the lots it takes", ["body", "allocations"])
    if given and basis.method != CostBasisMethod.specific:
        raise InvalidInput(
            "allocations apply only to sells of an asset whose cost_basis_method is "
            f"'specific' (this one is {basis.method.value!r})",
            ["body", "allocations"],
        )
    return [(str(a.lot_id), a.quantity) for a in given]


def _store_allocations(
    db: Session, user_id: uuid.UUID, sell_id: uuid.UUID, chosen: Sequence[tuple[str, Decimal]]
) -> None:
    """Replace a sell's stored allocations (none when `chosen` is empty)."""
    db.execute(delete(SellAllocation).where(SellAllocation.sell_id == sell_id))
    for position, (buy_id, quantity) in enumerate(chosen):
        db.add(
            SellAllocation(
                user_id=user_id,
                sell_id=sell_id,
                buy_id=uuid.UUID(buy_id),
                quantity=quantity,
                position=position,
            )
        )


def allocations_of(
    db: Session, user_id: uuid.UUID, sell_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]]:
    """The stored allocations of the user's given sells: sell id -> [(buy id, quantity)]."""
    found: dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]] = {}
    if not sell_ids:
        return found
    rows = db.execute(
        select(SellAllocation.sell_id, SellAllocation.buy_id, SellAllocation.quantity)
        .where(SellAllocation.user_id == user_id, SellAllocation.sell_id.in_(sell_ids))
        .order_by(SellAllocation.sell_id, SellAllocation.position)
    )
    for sell_id, buy_id, quantity in rows:
        found.setdefault(sell_id, []).append((buy_id, quantity))
    return found


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
    sequence = lock_asset(db, user_id, body.asset_id)
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
    basis = load_basis(db, body.asset_id)
    chosen = _chosen(body.allocations, row.type, basis)
    basis = basis.with_allocations(str(row.id), chosen)
    replayed = _needs_replay(basis)
    if replayed:
        _replay(
            [*load_trades(db, body.asset_id), trade_of(row)],
            "this trade",
            str(row.id),
            ["body", "quantity"],
            basis,
            chosen,
        )
    db.add(row)
    db.flush()  # the allocations and the stored state read the row
    if chosen:
        _store_allocations(db, user_id, row.id, chosen)
    _record(
        db,
        user_id,
        body.asset_id,
        sequence,
        {row.trade_date},
        appended=trade_of(row),
        check=not replayed,
        change="this trade",
        changed_id=str(row.id),
        loc=["body", "quantity"],
    )
    db.commit()
    return row


def update_transaction(
    db: Session, user_id: uuid.UUID, transaction_id: uuid.UUID, body: TransactionUpdate
) -> Transaction:
    row = get_owned(db, user_id, transaction_id)
    changes = body.model_dump(exclude_unset=True)
    changes.pop("allocations", None)  # body.allocations: None keeps the stored ones
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
    sequences = {
        asset_id: lock_asset(db, user_id, asset_id)
        for asset_id in sorted({source_asset, target_asset})
    }
    db.refresh(row)  # another writer may have changed it before we held the lock
    old_day = row.trade_date
    # A move or an edit keeps the entry number: the trade keeps its place among equal dates.
    given_date = changes.pop("transaction_date", None)
    if given_date is not None:
        store_trade_date(row, resolve_trade_date(db, user_id, given_date))
    for field, value in changes.items():
        setattr(row, field, value.value if field == "type" else value)
    edited = trade_of(row)
    edited_id = str(row.id)
    loc: list[str | int] = ["body", next((f for f in _EDIT_BLAME if f in changed), "quantity")]
    # The sell's own allocations: given, kept, or dropped when it leaves the asset or
    # becomes a buy (they would name lots it can no longer take).
    dropped = target_asset != source_asset or row.type != "sell"
    chosen: list[tuple[str, Decimal]] | None = None
    replayed: dict[uuid.UUID, bool] = {}
    for asset_id in {source_asset, target_asset}:
        basis = load_basis(db, asset_id)
        given: list[tuple[str, Decimal]] | None = None
        if asset_id == target_asset:
            chosen = _chosen(body.allocations, row.type, basis)
            if chosen is None:
                kept = None if dropped else basis.allocations.get(edited_id)
                basis = basis.with_allocations(edited_id, kept)
            else:
                basis = basis.with_allocations(edited_id, chosen)
                given = chosen
        else:
            basis = basis.with_allocations(edited_id, None)
        replayed[asset_id] = _needs_replay(basis)
        if replayed[asset_id]:
            history = [t for t in load_trades(db, asset_id) if t.id != edited_id]
            if asset_id == target_asset:
                history.append(edited)
            _replay(history, "this edit", edited_id, loc, basis, given)
    db.flush()
    if chosen is not None:
        _store_allocations(db, user_id, row.id, chosen)
    elif dropped:
        _store_allocations(db, user_id, row.id, ())
    for asset_id in sorted({source_asset, target_asset}):
        days = {old_day} if asset_id == source_asset else set()
        if asset_id == target_asset:
            days.add(row.trade_date)
        _record(
            db,
            user_id,
            asset_id,
            sequences[asset_id],
            days,
            check=not replayed[asset_id],
            change="this edit",
            changed_id=edited_id,
            loc=loc,
        )
    db.commit()
    return row


def delete_transaction(db: Session, user_id: uuid.UUID, transaction_id: uuid.UUID) -> None:
    row = get_owned(db, user_id, transaction_id)
    sequence = lock_asset(db, user_id, row.asset_id)
    basis = load_basis(db, row.asset_id).with_allocations(str(row.id), None)
    replayed = _needs_replay(basis)
    # A DELETE has no body: the refusal names the path parameter.
    loc: list[str | int] = ["path", "transaction_id"]
    if replayed:
        remaining = [t for t in load_trades(db, row.asset_id) if t.id != str(row.id)]
        _replay(remaining, "deleting this transaction", str(row.id), loc, basis)
    asset_id, day, row_id = row.asset_id, row.trade_date, str(row.id)
    db.delete(row)
    db.flush()
    _record(
        db,
        user_id,
        asset_id,
        sequence,
        {day},
        check=not replayed,
        change="deleting this transaction",
        changed_id=row_id,
        loc=loc,
    )
    db.commit()
