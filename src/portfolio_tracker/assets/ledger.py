"""An asset's trade history as engine values, and the asset's write lock.

The asset owns both: every transaction write takes `lock_asset` first, and every reader of a
history turns stored rows into engine `Trade`s through `stored_trade` (one field mapping).
The engine's hot path wants plain columns, not ORM objects (docs/architecture.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import (
    Asset,
    CorporateAction,
    SellAllocation,
    Transaction,
    User,
)
from portfolio_tracker.db.trade_order import TRADE_ORDER
from portfolio_tracker.db.versions import bump_user
from portfolio_tracker.engine import actions as engine_actions
from portfolio_tracker.engine.dates import TradeDate
from portfolio_tracker.engine.lots import Trade
from portfolio_tracker.engine.methods import LotsResult, check_lots, run_lots
from portfolio_tracker.engine.vocabulary import CorporateActionKind, CostBasisMethod
from portfolio_tracker.errors import NotFound

ASSET_NOT_FOUND = "Asset not found."


class TransactionColumns(Protocol):
    """What `trade_of` reads: an ORM `Transaction` or a row of its columns."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def type(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def price_per_unit(self) -> Decimal: ...
    @property
    def fee(self) -> Decimal: ...
    @property
    def trade_date(self) -> date: ...
    @property
    def trade_time(self) -> time | None: ...
    @property
    def entry_number(self) -> int: ...


# Rows were validated when written (the API refuses any trade the engine would), so trades
# are built through their slots: Trade.__post_init__'s checks cost ~7 µs a row, most of a
# cold 100k-trade portfolio load. Same object as Trade(...) gives.
_TRADE_FIELDS = ("id", "kind", "quantity", "price_per_unit", "fee", "day", "entry", "time_of_day")
_TRADE_SETTERS = tuple(getattr(Trade, name).__set__ for name in _TRADE_FIELDS)


def stored_trade(
    tx_id: str,
    kind: str,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
    day: date,
    entry: int,
    at: time | None,
) -> Trade:
    """A transaction row's columns as an engine Trade (`kind` is "buy" or "sell", `day` the
    calendar day, `at` the wall-clock time or None, `entry` the entry number, amounts exact
    Decimals), trusted as validated when written."""
    trade: Trade = object.__new__(Trade)
    s_id, s_kind, s_quantity, s_price, s_fee, s_day, s_entry, s_at = _TRADE_SETTERS
    s_id(trade, tx_id)
    s_kind(trade, kind)
    s_quantity(trade, quantity)
    s_price(trade, price)
    s_fee(trade, fee)
    s_day(trade, day)
    s_entry(trade, entry)
    s_at(trade, at)
    return trade


def trade_of(row: TransactionColumns) -> Trade:
    """One transaction (stored, or about to be written from a validated body) as a Trade."""
    return stored_trade(
        str(row.id),
        row.type,
        row.quantity,
        row.price_per_unit,
        row.fee,
        row.trade_date,
        row.entry_number,
        row.trade_time,
    )


# The columns `trade_of` reads, for a select of trades as engine values.
TRADE_COLUMNS = (
    Transaction.id,
    Transaction.type,
    Transaction.quantity,
    Transaction.price_per_unit,
    Transaction.fee,
    Transaction.trade_date,
    Transaction.entry_number,
    Transaction.trade_time,
)


def load_trades(db: Session, asset_id: uuid.UUID) -> list[Trade]:
    """The asset's trades in the order of trades (engine.dates.order_key)."""
    rows = db.execute(
        select(*TRADE_COLUMNS).where(Transaction.asset_id == asset_id).order_by(*TRADE_ORDER)
    )
    return [trade_of(row) for row in rows]


def lock_asset(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID) -> int:
    """Take the asset's write lock and return its write count (it orders nothing).

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


def next_entry_number(db: Session, user_id: uuid.UUID) -> int:
    """The entry number of the user's next new transaction (1, 2, ...; never reused).

    Taken after the asset lock of the write; the UPDATE holds the user's row until commit,
    so concurrent creates of one user on different assets get distinct, increasing numbers.
    """
    return reserve_entry_numbers(db, user_id, 1)


def reserve_entry_numbers(db: Session, user_id: uuid.UUID, count: int) -> int:
    """Reserve `count` consecutive entry numbers for new transactions of the user (a bulk
    import) and return the first; taken like `next_entry_number`."""
    last: int = db.execute(
        update(User)
        .where(User.id == user_id)
        .values(last_entry_number=User.last_entry_number + count)
        .returning(User.last_entry_number)
    ).scalar_one()
    return last - count + 1


def stored_trade_date(row: Transaction) -> TradeDate:
    """When a stored transaction happened, as the user said it."""
    return _trade_date(row.trade_date, row.trade_time, row.trade_utc_offset)


def _trade_date(day: date, at: time | None, offset_seconds: int | None) -> TradeDate:
    offset = None if offset_seconds is None else timedelta(seconds=offset_seconds)
    return TradeDate(day, at, offset)


def trade_dates_of_asset(db: Session, asset_id: uuid.UUID) -> dict[str, TradeDate]:
    """The trade date of each of an asset's transactions, by transaction id (as text)."""
    rows = db.execute(
        select(
            Transaction.id,
            Transaction.trade_date,
            Transaction.trade_time,
            Transaction.trade_utc_offset,
        ).where(Transaction.asset_id == asset_id)
    )
    return {str(tx_id): _trade_date(day, at, offset) for tx_id, day, at, offset in rows}


# --- how the asset's lots are matched: its method, corporate actions and allocations ------


@dataclass(frozen=True, slots=True)
class Basis:
    """What `run_lots` needs besides the trades: the asset's cost-basis method, its confirmed
    corporate actions (by ex-date) and, per sell id, the lots the sell names (`specific`)."""

    method: CostBasisMethod = CostBasisMethod.fifo
    actions: tuple[engine_actions.CorporateAction, ...] = ()
    allocations: dict[str, list[tuple[str, Decimal]]] = field(default_factory=dict)

    def run(self, trades: list[Trade]) -> LotsResult:
        """The asset's lots under this basis (engine.methods.run_lots; raises as it does)."""
        return run_lots(trades, self.method, actions=self.actions, allocations=self.allocations)

    def check(self, trades: list[Trade]) -> None:
        """Raise OversellError / AllocationError as `run` would (engine.methods.check_lots)."""
        check_lots(trades, self.method, actions=self.actions, allocations=self.allocations)

    def with_allocations(self, sell_id: str, chosen: list[tuple[str, Decimal]] | None) -> Basis:
        """The same basis with one sell's allocations replaced (None or [] removes them)."""
        allocations = {k: v for k, v in self.allocations.items() if k != sell_id}
        if chosen:
            allocations[sell_id] = chosen
        return replace(self, allocations=allocations)

    def with_actions(self, actions: tuple[engine_actions.CorporateAction, ...]) -> Basis:
        return replace(self, actions=actions)


def action_of(
    action_id: object, kind: str, ex_date: date, numerator: Decimal, denominator: Decimal
) -> engine_actions.CorporateAction:
    """A stored corporate action's columns as an engine value (validated when written)."""
    return engine_actions.CorporateAction(
        str(action_id), CorporateActionKind(kind), ex_date, numerator, denominator
    )


CONFIRMED = "confirmed"


def load_actions(db: Session, asset_id: uuid.UUID) -> tuple[engine_actions.CorporateAction, ...]:
    """The asset's confirmed corporate actions by ex-date (suggestions are not applied)."""
    rows = db.execute(
        select(
            CorporateAction.id,
            CorporateAction.kind,
            CorporateAction.ex_date,
            CorporateAction.numerator,
            CorporateAction.denominator,
        )
        .where(CorporateAction.asset_id == asset_id, CorporateAction.status == CONFIRMED)
        .order_by(CorporateAction.ex_date, CorporateAction.created_at, CorporateAction.id)
    )
    return tuple(action_of(*row) for row in rows)


def load_allocations(db: Session, asset_id: uuid.UUID) -> dict[str, list[tuple[str, Decimal]]]:
    """Allocations of the asset's sells: sell id -> [(buy id, quantity)] in the given order."""
    rows = db.execute(
        select(SellAllocation.sell_id, SellAllocation.buy_id, SellAllocation.quantity)
        .join(Transaction, Transaction.id == SellAllocation.sell_id)
        .where(Transaction.asset_id == asset_id)
        .order_by(SellAllocation.sell_id, SellAllocation.position)
    )
    found: dict[str, list[tuple[str, Decimal]]] = {}
    for sell_id, buy_id, quantity in rows:
        found.setdefault(str(sell_id), []).append((str(buy_id), quantity))
    return found


def load_basis(db: Session, asset_id: uuid.UUID) -> Basis:
    """The asset's method, confirmed actions and (under `specific`) allocations."""
    method = db.scalar(select(Asset.cost_basis_method).where(Asset.id == asset_id))
    chosen = CostBasisMethod(method or CostBasisMethod.fifo)
    allocations = load_allocations(db, asset_id) if chosen == CostBasisMethod.specific else {}
    return Basis(chosen, load_actions(db, asset_id), allocations)
