"""FIFO lot matching and the validity of a trade history (one asset at a time).

Conventions (see docs/engine-contract.md):
- trades are applied in ``(at, sequence)`` order;
- a buy's fee is capitalised into its lot's cost; a sell's fee is subtracted from its proceeds;
- a partial consumption costs ``remaining_cost * taken / remaining`` and the last piece of a lot
  takes all of its remaining cost, so no residue is ever lost.

Exactness: a partial piece is rounded once, at the 40th decimal place (``_COST_QUANTUM``). That is
far below any currency's smallest unit, and it makes every later subtraction exact within the
80-digit ``ENGINE_CONTEXT``, so "bought cost = remaining cost + consumed cost" holds to the last
digit. Rounding the piece to 80 significant digits instead would leave lowest digits that the
next subtraction could not keep, and the identity would drift by 1e-70-sized amounts.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext
from itertools import compress
from operator import attrgetter, eq, le
from typing import Any, Literal

from portfolio_tracker.engine.money import (
    ENGINE_CONTEXT,
    MAX_ABS,
    MAX_PLACES,
    decimal_places,
    to_plain_str,
)

__all__ = [
    "FifoResult",
    "LotConsumption",
    "OpenLot",
    "OversellError",
    "Realization",
    "Trade",
    "TradeKind",
    "check_history",
    "order_trades",
    "quantity_timeline",
    "run_fifo",
]

TradeKind = Literal["buy", "sell"]

_ZERO = Decimal(0)
_COST_QUANTUM = Decimal("1E-40")


def _check_amount(trade_id: str, name: str, value: object, *, positive: bool) -> None:
    # Bounds are checked here, once per trade, so that the hot loop can trust every figure to be
    # exact under ENGINE_CONTEXT.
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"trade {trade_id}: {name} must be a finite Decimal, got {value!r}")
    if value < 0 or (positive and not value):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"trade {trade_id}: {name} must be {bound}, got {value}")
    if value >= MAX_ABS:
        raise ValueError(f"trade {trade_id}: {name} must be below 10^15, got {value}")
    exponent = value.as_tuple().exponent
    # Fast path: most inputs (NUMERIC(38,18) rows, user input) have few places.
    if isinstance(exponent, int) and exponent < -MAX_PLACES and decimal_places(value) > MAX_PLACES:
        raise ValueError(
            f"trade {trade_id}: {name} has more than {MAX_PLACES} decimal places: {value}"
        )


@dataclass(frozen=True, slots=True)
class Trade:
    id: str  # the transaction's id
    kind: TradeKind
    quantity: Decimal  # > 0
    price_per_unit: Decimal  # >= 0
    fee: Decimal  # >= 0; added to a buy's cost, taken from a sell's proceeds
    at: datetime  # timezone-aware instant
    sequence: int  # orders trades with the same `at` (creation order)

    def __post_init__(self) -> None:
        if self.kind != "buy" and self.kind != "sell":
            raise ValueError(f"trade {self.id}: kind must be 'buy' or 'sell', got {self.kind!r}")
        _check_amount(self.id, "quantity", self.quantity, positive=True)
        _check_amount(self.id, "price_per_unit", self.price_per_unit, positive=False)
        _check_amount(self.id, "fee", self.fee, positive=False)
        # A naive datetime cannot be ordered against aware ones; refuse it here, not mid-sort.
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            raise ValueError(f"trade {self.id}: at must be a timezone-aware datetime")


@dataclass(frozen=True, slots=True)
class OpenLot:
    buy_id: str
    at: datetime
    original_quantity: Decimal
    remaining_quantity: Decimal
    price_per_unit: Decimal
    cost_per_unit: Decimal  # (quantity * price + fee) / quantity
    remaining_cost: Decimal


@dataclass(frozen=True, slots=True)
class LotConsumption:
    buy_id: str
    buy_at: datetime
    quantity: Decimal
    cost: Decimal


@dataclass(frozen=True, slots=True)
class Realization:
    sell_id: str
    at: datetime
    quantity: Decimal
    proceeds: Decimal
    cost: Decimal
    realized_pnl: Decimal
    consumed: tuple[LotConsumption, ...]


@dataclass(frozen=True, slots=True)
class FifoResult:
    open_lots: tuple[OpenLot, ...]
    realizations: tuple[Realization, ...]
    quantity: Decimal
    cost_basis: Decimal
    average_cost: Decimal | None
    realized_pnl: Decimal


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[Any, Any], None], ...]:
    return tuple(cls.__dict__[name].__set__ for name in names)


# The hot loop builds about a million output records per million trades. A frozen dataclass's
# generated __init__ writes each field through object.__setattr__ (~450 ns for four fields);
# writing the slots through their descriptors gives the same object in about half the time.
# tests/engine/test_lots.py checks these stay equal to the normal constructors.
_new = object.__new__
_lc_fields = ("buy_id", "buy_at", "quantity", "cost")
_lc_set = _slot_setters(LotConsumption, _lc_fields)
_rz_fields = ("sell_id", "at", "quantity", "proceeds", "cost", "realized_pnl", "consumed")
_rz_set = _slot_setters(Realization, _rz_fields)


def _new_consumption(
    buy_id: str, buy_at: datetime, quantity: Decimal, cost: Decimal
) -> LotConsumption:
    s_id, s_at, s_quantity, s_cost = _lc_set
    c: LotConsumption = _new(LotConsumption)
    s_id(c, buy_id)
    s_at(c, buy_at)
    s_quantity(c, quantity)
    s_cost(c, cost)
    return c


def _new_realization(
    sell_id: str,
    at: datetime,
    quantity: Decimal,
    proceeds: Decimal,
    cost: Decimal,
    realized_pnl: Decimal,
    consumed: tuple[LotConsumption, ...],
) -> Realization:
    s_id, s_at, s_quantity, s_proceeds, s_cost, s_pnl, s_consumed = _rz_set
    r: Realization = _new(Realization)
    s_id(r, sell_id)
    s_at(r, at)
    s_quantity(r, quantity)
    s_proceeds(r, proceeds)
    s_cost(r, cost)
    s_pnl(r, realized_pnl)
    s_consumed(r, consumed)
    return r


class OversellError(ValueError):
    """A sell asks for more than is held at its moment in the ordered history."""

    def __init__(self, sell_id: str, at: datetime, requested: Decimal, held: Decimal) -> None:
        self.sell_id = sell_id
        self.at = at
        self.requested = requested
        self.held = held
        with localcontext(ENGINE_CONTEXT):
            self.shortfall = requested - held
        super().__init__(
            f"sell on {at.date().isoformat()} exceeds holdings by {to_plain_str(self.shortfall)}"
            f" (held {to_plain_str(held)}, selling {to_plain_str(requested)})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduction would call __init__ with the message only.
        return (type(self), (self.sell_id, self.at, self.requested, self.held))


_order_key = attrgetter("at", "sequence")
_get_at = attrgetter("at")


def order_trades(trades: Iterable[Trade]) -> list[Trade]:
    """Trades sorted by ``(at, sequence)``; the sort is stable for full ties."""
    ordered = list(trades)
    if _is_ordered(ordered):
        return ordered
    ordered.sort(key=_order_key)
    return ordered


def _is_ordered(trades: list[Trade]) -> bool:
    # Histories usually arrive ordered from the database. Checking that with C-level passes
    # costs about a third of sorting with (at, sequence) tuple keys.
    ats = list(map(_get_at, trades))
    later = ats[1:]
    if not all(map(le, ats, later)):
        return False
    ties = list(compress(range(len(later)), map(eq, ats, later)))
    if not ties:
        return True
    return all(trades[i].sequence <= trades[i + 1].sequence for i in ties)


def _running_quantity(ordered: list[Trade]) -> Iterator[tuple[Trade, Decimal]]:
    """Yield each trade with the quantity held after it; raise at the first oversell."""
    held = _ZERO
    with localcontext(ENGINE_CONTEXT):
        for t in ordered:
            q = t.quantity
            if t.kind == "buy":
                held += q
            elif q > held:
                raise OversellError(t.id, t.at, q, held)
            else:
                held -= q
            yield t, held


def check_history(trades: Iterable[Trade]) -> None:
    """Raise OversellError for the first sell (in ``(at, sequence)`` order) exceeding holdings."""
    for _ in _running_quantity(order_trades(trades)):
        pass


def quantity_timeline(trades: Iterable[Trade]) -> list[tuple[datetime, Decimal]]:
    """Quantity held after each trade, in ``(at, sequence)`` order; raises OversellError."""
    return [(t.at, held) for t, held in _running_quantity(order_trades(trades))]


def run_fifo(trades: Iterable[Trade]) -> FifoResult:
    """Match sells to the oldest open buys; raises OversellError at the first oversell."""
    # Sorting (one key tuple per trade) and matching (one to three long-lived objects per
    # trade) create no reference cycles, so a collection can free nothing; yet the generational
    # collector would rescan the growing result again and again (about 40% of the run time on
    # a million trades).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        ordered = order_trades(trades)
        with localcontext(ENGINE_CONTEXT):
            return _match(ordered)
    finally:
        if gc_was_enabled:
            gc.enable()


def _match(ordered: list[Trade]) -> FifoResult:
    # Hot loop: a lot is a plain list [buy trade, remaining quantity, remaining cost] so it can
    # be mutated in place; the frozen output dataclasses are built once per fact. Running out
    # of lots mid-sell surfaces as IndexError from ``lots[0]`` (free when it does not happen);
    # the error path then replays the history to report the oversell exactly as check_history.
    lots: deque[list[Any]] = deque()
    realizations: list[Realization] = []
    add_lot = lots.append
    pop_lot = lots.popleft
    add_realization = realizations.append
    quantum = _COST_QUANTUM
    zero = _ZERO
    realized = zero
    try:
        for t in ordered:
            q = t.quantity
            if t.kind == "buy":
                add_lot([t, q, q * t.price_per_unit + t.fee])
                continue
            lot = lots[0]
            remaining = lot[1]
            if remaining > q:
                # The common sell: part of the oldest lot.
                cost = lot[2] * q / remaining
                rounded = cost.quantize(quantum)
                if rounded != cost:  # keep exact quotients as they are: "220", not "220.000…"
                    cost = rounded
                lot[1] = remaining - q
                lot[2] -= cost
                buy = lot[0]
                consumed: tuple[LotConsumption, ...] = (_new_consumption(buy.id, buy.at, q, cost),)
            else:
                pieces: list[LotConsumption] = []
                need = q
                cost = zero
                while need:
                    lot = lots[0]
                    buy = lot[0]
                    remaining = lot[1]
                    if remaining <= need:
                        piece = lot[2]  # the last piece of a lot takes all of its cost
                        pop_lot()
                        pieces.append(_new_consumption(buy.id, buy.at, remaining, piece))
                        need -= remaining
                    else:
                        piece = lot[2] * need / remaining
                        rounded = piece.quantize(quantum)
                        if rounded != piece:
                            piece = rounded
                        lot[1] = remaining - need
                        lot[2] -= piece
                        pieces.append(_new_consumption(buy.id, buy.at, need, piece))
                        need = zero
                    cost += piece
                consumed = tuple(pieces)
            proceeds = q * t.price_per_unit - t.fee
            pnl = proceeds - cost
            realized += pnl
            add_realization(_new_realization(t.id, t.at, q, proceeds, cost, pnl, consumed))
    except IndexError:
        for _ in _running_quantity(ordered):
            pass
        raise  # not an oversell after all: a bug, keep its traceback

    open_lots = []
    quantity = zero
    cost_basis = zero
    for buy, remaining, remaining_cost in lots:
        bq = buy.quantity
        price = buy.price_per_unit
        cost_per_unit = (bq * price + buy.fee) / bq
        open_lots.append(
            OpenLot(buy.id, buy.at, bq, remaining, price, cost_per_unit, remaining_cost)
        )
        quantity += remaining
        cost_basis += remaining_cost
    return FifoResult(
        open_lots=tuple(open_lots),
        realizations=tuple(realizations),
        quantity=quantity,
        cost_basis=cost_basis,
        average_cost=cost_basis / quantity if quantity else None,
        realized_pnl=realized,
    )
