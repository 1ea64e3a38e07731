"""FIFO lot matching and the validity of a trade history (one asset at a time).

Conventions (see docs/engine-contract.md):
- trades are applied in the one order of ``engine.dates.order_key``: calendar day, time of day
  where given (a date-only trade at the end of its day), then entry order;
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
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, localcontext
from typing import Any, Literal

from portfolio_tracker.engine.actions import CorporateAction, order_actions, scale_quantity
from portfolio_tracker.engine.dates import END_OF_DAY, OrderKey, order_key
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
    "SellRow",
    "SellTable",
    "Trade",
    "TradeKind",
    "check_history",
    "order_trades",
    "quantity_timeline",
    "run_fifo",
    "sell_table",
    "trade_order_key",
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
    day: date  # the user's calendar day of the trade (engine.dates)
    entry: int  # entry order: per user, set when first entered, never changed by an edit
    time_of_day: time | None = None  # wall-clock time when given; None = date only

    def __post_init__(self) -> None:
        if self.kind != "buy" and self.kind != "sell":
            raise ValueError(f"trade {self.id}: kind must be 'buy' or 'sell', got {self.kind!r}")
        _check_amount(self.id, "quantity", self.quantity, positive=True)
        _check_amount(self.id, "price_per_unit", self.price_per_unit, positive=False)
        _check_amount(self.id, "fee", self.fee, positive=False)
        # Wrong types would only surface mid-sort (or as a wrong order); refuse them here.
        if not isinstance(self.day, date) or isinstance(self.day, datetime):
            raise ValueError(f"trade {self.id}: day must be a date, got {self.day!r}")
        if self.time_of_day is not None and (
            not isinstance(self.time_of_day, time) or self.time_of_day.tzinfo is not None
        ):
            raise ValueError(f"trade {self.id}: time_of_day must be a naive time or None")
        if not isinstance(self.entry, int) or isinstance(self.entry, bool):
            raise ValueError(f"trade {self.id}: entry must be an int, got {self.entry!r}")


@dataclass(frozen=True, slots=True)
class OpenLot:
    buy_id: str
    day: date  # the buy's calendar day
    original_quantity: Decimal
    remaining_quantity: Decimal
    price_per_unit: Decimal
    cost_per_unit: Decimal  # (quantity * price + fee) / quantity
    remaining_cost: Decimal


@dataclass(frozen=True, slots=True)
class LotConsumption:
    buy_id: str
    buy_day: date
    quantity: Decimal
    cost: Decimal


@dataclass(frozen=True, slots=True)
class Realization:
    sell_id: str
    day: date
    quantity: Decimal
    proceeds: Decimal
    cost: Decimal
    realized_pnl: Decimal
    consumed: tuple[LotConsumption, ...]


@dataclass(frozen=True, slots=True)
class FifoResult:
    open_lots: tuple[OpenLot, ...]
    realizations: tuple[Realization, ...]  # run_fifo's: built on first read (SellTable)
    quantity: Decimal
    cost_basis: Decimal
    average_cost: Decimal | None
    realized_pnl: Decimal


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[Any, Any], None], ...]:
    return tuple(cls.__dict__[name].__set__ for name in names)


# Building a million records: a frozen dataclass's generated __init__ writes each field through
# object.__setattr__ (~450 ns for four fields); writing the slots through their descriptors,
# inline in SellTable._build, gives the same object in about a third of the time.
# tests/engine/test_lots.py checks these stay equal to the normal constructors, and that the
# field lists below name every field in order.
_new = object.__new__
_lc_fields = ("buy_id", "buy_day", "quantity", "cost")
_lc_set = _slot_setters(LotConsumption, _lc_fields)
_rz_fields = ("sell_id", "day", "quantity", "proceeds", "cost", "realized_pnl", "consumed")
_rz_set = _slot_setters(Realization, _rz_fields)


# One sell of a SellTable: (sell, proceeds, cost, first, first_quantity, first_cost, last,
# last_quantity, last_cost); see SellTable.
SellRow = tuple[Trade, Decimal, Decimal, int, Decimal, Decimal, int, Decimal, Decimal]
_ROW_FIELDS = 9


@dataclass(frozen=True, slots=True)
class SellTable:
    """Every sell of one ``run_fifo`` run, kept as little as the holdings summary needs: what
    its result holds instead of ``Realization`` records until ``FifoResult.realizations`` is
    first read. Engine-internal and read-only: ``run_fifo`` fills the lists, nothing
    changes them afterwards.

    Lot ``i`` is the ``i``-th buy in the order of trades, ``buys[i]``; its cost is
    ``quantity x price_per_unit + fee``. ``sells`` are the sells in the order of trades,
    ``proceeds`` theirs (quantity x price - fee), and ``buys_before[k]`` how many buys come
    before ``sells[k]``, so the order of trades can be told again. FIFO takes lots in buy
    order: the sells took lots ``0 .. taken - 1``, every one whole but maybe the last, which
    still holds ``left_cost`` of its cost (None: it was taken whole too). Quantities and
    amounts are in the asset's unit and currency.

    ``rows()`` tells, per sell, which pieces of which lots it took (a ``SellRow``:
    ``(sell, proceeds, cost, first, first_quantity, first_cost, last, last_quantity,
    last_cost)``: the lots ``first..last`` in order; ``first_quantity`` of lot ``first`` at
    ``first_cost``, every lot in between whole, and ``last_quantity`` of lot ``last`` at
    ``last_cost``, the same piece as the first when ``first == last``) by matching the
    trades again; ``realizations()`` builds the records from them.

    Why not the rows or the records themselves: the garbage collector's cost. A million
    trades make about 1.3 million LotConsumption/Realization objects, or 2.7 million row
    values, every one visited by the collector on its way to the oldest generation (a pass
    of about 80 ms over the row values alone, paid by whatever code allocates next). The
    summary needs none of them: realised P&L in the asset's currency is the run's total,
    and in another currency it is the proceeds at their days' rates less each lot's
    consumed cost at its day's rate (engine.valuation). Records are wanted for one asset at
    a time (its realised sales), where a second match costs little.
    """

    buys: list[Trade]
    sells: list[Trade]
    proceeds: list[Decimal]
    buys_before: array[int]
    taken: int
    left_cost: Decimal | None

    def ordered(self) -> Iterator[Trade]:
        """The trades of the run, in the order of trades."""
        buys = self.buys
        at = 0
        for sell, before in zip(self.sells, self.buys_before, strict=True):
            yield from buys[at:before]
            yield sell
            at = before
        yield from buys[at:]

    def rows(self) -> Iterator[SellRow]:
        """The rows, in the order of trades (the trades matched again, under
        ``ENGINE_CONTEXT``: the same figures as the first match)."""
        with localcontext(ENGINE_CONTEXT):
            _, flat = _match(list(self.ordered()), keep_rows=True)
        values = iter(flat)
        return zip(*(values,) * _ROW_FIELDS, strict=True)  # one iterator: 9 values a row

    def realizations(self) -> tuple[Realization, ...]:
        """The ``Realization`` records of the rows (what ``FifoResult.realizations`` gives)."""
        # A million records and no reference cycles: a collection could free nothing, yet the
        # collector would rescan the growing result again and again.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            with localcontext(ENGINE_CONTEXT):
                return self._build()
        finally:
            if gc_was_enabled:
                gc.enable()

    def _build(self) -> tuple[Realization, ...]:
        buys = self.buys
        new = _new
        consumption_cls, realization_cls = LotConsumption, Realization
        c_id, c_day, c_quantity, c_cost = _lc_set
        r_id, r_day, r_quantity, r_proceeds, r_cost, r_pnl, r_consumed = _rz_set
        out: list[Realization] = []
        add = out.append
        for sell, proceeds, cost, first, fq, fc, last, lq, lc in self.rows():
            pieces: list[LotConsumption] = []
            for i in range(first, last + 1):
                buy = buys[i]
                c = new(consumption_cls)
                c_id(c, buy.id)
                c_day(c, buy.day)
                if i == last:
                    c_quantity(c, lq)
                    c_cost(c, lc)
                elif i == first:
                    c_quantity(c, fq)
                    c_cost(c, fc)
                else:
                    c_quantity(c, buy.quantity)
                    c_cost(c, _lot_cost(buy))
                pieces.append(c)
            r = new(realization_cls)
            r_id(r, sell.id)
            r_day(r, sell.day)
            r_quantity(r, sell.quantity)
            r_proceeds(r, proceeds)
            r_cost(r, cost)
            r_pnl(r, proceeds - cost)  # as _match computed it
            r_consumed(r, tuple(pieces))
            add(r)
        return tuple(out)


def _lot_cost(buy: Trade) -> Decimal:
    """What the lot of ``buy`` costs: quantity x price + fee (call under ENGINE_CONTEXT)."""
    return buy.quantity * buy.price_per_unit + buy.fee


class _BuiltOnRead:
    """``FifoResult.realizations``: its slot may hold a ``SellTable`` (run_fifo's results);
    the first read replaces it with the records. Everything else about the field (the
    constructor, frozenness, equality, hash, repr, pickling) is the dataclass's own, through
    this descriptor."""

    __slots__ = ("_slot",)

    def __init__(self, slot: Any) -> None:
        self._slot = slot  # the slot's member descriptor, made by the dataclass

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = self._slot.__get__(obj, owner)
        if type(value) is SellTable:
            # Two threads may both build: equal tuples, the later one stays.
            value = value.realizations()
            self._slot.__set__(obj, value)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        self._slot.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self._slot.__delete__(obj)


_realizations_slot = FifoResult.__dict__["realizations"]
setattr(FifoResult, "realizations", _BuiltOnRead(_realizations_slot))  # noqa: B010


def sell_table(result: FifoResult) -> SellTable | None:
    """``result``'s sells as a ``SellTable`` while its realizations are still in that form
    (a ``run_fifo`` result not yet read); None otherwise (read, or built from records as
    engine.methods does). For hot loops over a million pieces (engine.valuation)."""
    value = _realizations_slot.__get__(result, FifoResult)
    return value if type(value) is SellTable else None


class OversellError(ValueError):
    """A sell asks for more than is held at its moment in the ordered history."""

    def __init__(self, sell_id: str, day: date, requested: Decimal, held: Decimal) -> None:
        self.sell_id = sell_id
        self.day = day
        self.requested = requested
        self.held = held
        with localcontext(ENGINE_CONTEXT):
            self.shortfall = requested - held
        super().__init__(
            f"sell on {day.isoformat()} exceeds holdings by {to_plain_str(self.shortfall)}"
            f" (held {to_plain_str(held)}, selling {to_plain_str(requested)})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduction would call __init__ with the message only.
        return (type(self), (self.sell_id, self.day, self.requested, self.held))


def trade_order_key(trade: Trade) -> OrderKey:
    """The trade's place in the one order of trades (``engine.dates.order_key``)."""
    return order_key(trade.day, trade.time_of_day, trade.entry)


def order_trades(trades: Iterable[Trade]) -> list[Trade]:
    """Trades in the one order of trades (``trade_order_key``); stable for full ties."""
    ordered = list(trades)
    if _is_ordered(ordered):
        return ordered
    ordered.sort(key=trade_order_key)
    return ordered


def _is_ordered(trades: list[Trade]) -> bool:
    # Histories usually arrive ordered from the database. One plain pass that reads each trade
    # once beats C-level map passes here: a million trades live all over memory, and every extra
    # pass over them costs more in cache misses than it saves in interpreter work. The key is
    # inlined (a call per trade would double the pass); test_fast_paths pins it to
    # trade_order_key.
    if not trades:
        return True
    prev = trade_order_key(trades[0])
    end_of_day = END_OF_DAY
    for t in trades:
        tod = t.time_of_day
        if tod is None:
            key = (t.day, end_of_day, t.entry)
        else:
            rank = (tod.hour * 3600 + tod.minute * 60 + tod.second) * 1_000_000 + tod.microsecond
            key = (t.day, rank, t.entry)
        if key < prev:
            return False
        prev = key
    return True


def _running_quantity(
    ordered: list[Trade], actions: Iterable[CorporateAction] = ()
) -> Iterator[tuple[Trade, Decimal]]:
    """Yield each trade with the quantity held after it; raise at the first oversell.

    Each corporate action rescales the quantity held at the start of its ex-date
    (``engine.actions``)."""
    pending = order_actions(actions)
    if pending:
        yield from _running_quantity_with(ordered, pending)
        return
    held = _ZERO
    with localcontext(ENGINE_CONTEXT):
        for t in ordered:
            q = t.quantity
            if t.kind == "buy":
                held += q
            elif q > held:
                raise OversellError(t.id, t.day, q, held)
            else:
                held -= q
            yield t, held


def _running_quantity_with(
    ordered: list[Trade], actions: list[CorporateAction]
) -> Iterator[tuple[Trade, Decimal]]:
    held = _ZERO
    pending = list(reversed(actions))  # popped from the end: earliest first
    with localcontext(ENGINE_CONTEXT):
        for t in ordered:
            while pending and pending[-1].ex_date <= t.day:
                held = scale_quantity(held, pending.pop())
            q = t.quantity
            if t.kind == "buy":
                held += q
            elif q > held:
                raise OversellError(t.id, t.day, q, held)
            else:
                held -= q
            yield t, held


def check_history(trades: Iterable[Trade], actions: Iterable[CorporateAction] = ()) -> None:
    """Raise OversellError for the first sell (in the order of trades) exceeding holdings,
    with ``actions`` (corporate actions) rescaling the holding at the start of their ex-date.

    The quantity held does not depend on the cost-basis method, so this check holds for every
    method; ``engine.methods.check_lots`` adds what a method itself can refuse (``specific``
    allocations)."""
    for _ in _running_quantity(order_trades(trades), actions):
        pass


def quantity_timeline(
    trades: Iterable[Trade], actions: Iterable[CorporateAction] = ()
) -> list[tuple[Trade, Decimal]]:
    """Each trade with the quantity held after it, in the order of trades (``actions``
    applied at the start of their ex-date); raises OversellError."""
    return list(_running_quantity(order_trades(trades), actions))


def run_fifo(trades: Iterable[Trade]) -> FifoResult:
    """Match sells to the oldest open buys; raises OversellError at the first oversell.

    The result's realizations are kept as a SellTable (see there why) and built on first read.
    """
    # Sorting an unordered history makes one key tuple per trade, all alive until the sort
    # ends, and no reference cycles: a collection could free nothing, yet the collector would
    # walk the growing set again and again (a shuffled million: 4.2 s -> 1.7 s CPU without).
    # Matching allocates nothing the collector tracks (SellTable), so the pause costs it nothing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        ordered = order_trades(trades)
        with localcontext(ENGINE_CONTEXT):
            return _match(ordered)[0]
    finally:
        if gc_was_enabled:
            gc.enable()


def _match(ordered: list[Trade], keep_rows: bool = False) -> tuple[FifoResult, list[Any]]:
    # Hot loop. Lot i is the i-th buy, and the open lots are the buys from ``head`` on (FIFO
    # takes lots in buy order): a buy is only appended, a lot's cost is worked out when a
    # sell reaches it, and only the lot a sell took part of (``head``) has a remainder of its
    # own (``left_quantity``, ``left_cost``; None while no sell took from it). Each sell
    # extends one flat list by its row (the tuple is freed at once). So nothing the collector
    # tracks is allocated per trade, and a lot taken whole keeps nothing (SellTable says why
    # that matters). Running out of lots mid-sell surfaces as IndexError from ``buys`` (free
    # when it does not happen); the error path then replays the history to report the
    # oversell exactly as check_history.
    buys: list[Trade] = []
    sells: list[Trade] = []
    all_proceeds: list[Decimal] = []
    buys_before = array("q")
    add_sell, add_proceeds, add_before = sells.append, all_proceeds.append, buys_before.append
    rows: list[Any] = []  # flat, _ROW_FIELDS values a sell; only with keep_rows
    head = 0
    last = -1
    left_quantity: Decimal | None = None
    left_cost = _ZERO
    quantum = _COST_QUANTUM
    zero = _ZERO
    realized = zero
    try:
        for t in ordered:
            if t.kind == "buy":
                buys.append(t)
                continue
            q = t.quantity
            if left_quantity is None:
                buy = buys[head]
                remaining = buy.quantity
                held_cost = remaining * buy.price_per_unit + buy.fee  # _lot_cost(buy), inlined
            else:
                remaining = left_quantity
                held_cost = left_cost
            first = last = head
            if remaining > q:
                # The common sell: part of the oldest lot.
                cost = held_cost * q / remaining
                rounded = cost.quantize(quantum)
                if rounded != cost:  # keep exact quotients as they are: "220", not "220.000…"
                    cost = rounded
                left_quantity = remaining - q
                left_cost = held_cost - cost
                first_q = last_q = q
                first_c = last_c = cost
            else:
                # The sell takes whole lots (the last piece of a lot takes all of its cost),
                # then maybe part of one more.
                first_q = remaining
                first_c = held_cost
                cost = zero + held_cost
                need = q - remaining
                head += 1
                left_quantity = None
                while need:
                    buy = buys[head]
                    remaining = buy.quantity
                    held_cost = remaining * buy.price_per_unit + buy.fee  # _lot_cost(buy)
                    if remaining <= need:
                        need -= remaining
                        cost += held_cost
                        head += 1
                    else:
                        last_c = held_cost * need / remaining
                        rounded = last_c.quantize(quantum)
                        if rounded != last_c:
                            last_c = rounded
                        left_quantity = remaining - need
                        left_cost = held_cost - last_c
                        last = head
                        last_q = need
                        cost += last_c
                        break
                else:  # the last lot taken whole
                    last = head - 1
                    last_q = remaining
                    last_c = first_c if last == first else held_cost
            proceeds = q * t.price_per_unit - t.fee
            realized += proceeds - cost
            add_sell(t)
            add_proceeds(proceeds)
            add_before(len(buys))
            if keep_rows:
                rows.extend((t, proceeds, cost, first, first_q, first_c, last, last_q, last_c))
    except IndexError:
        for _ in _running_quantity(ordered):
            pass
        raise  # not an oversell after all: a bug, keep its traceback

    open_lots = []
    quantity = zero
    cost_basis = zero
    for i in range(head, len(buys)):
        buy = buys[i]
        bq = buy.quantity
        price = buy.price_per_unit
        full_cost = bq * price + buy.fee
        if i == head and left_quantity is not None:
            remaining, remaining_cost = left_quantity, left_cost
        else:
            remaining, remaining_cost = bq, full_cost
        open_lots.append(
            OpenLot(buy.id, buy.day, bq, remaining, price, full_cost / bq, remaining_cost)
        )
        quantity += remaining
        cost_basis += remaining_cost
    result = FifoResult(
        open_lots=tuple(open_lots),
        realizations=(),
        quantity=quantity,
        cost_basis=cost_basis,
        average_cost=cost_basis / quantity if quantity else None,
        realized_pnl=realized,
    )
    if sells:
        left = left_cost if left_quantity is not None else None
        table = SellTable(buys, sells, all_proceeds, buys_before, last + 1, left)
        _realizations_slot.__set__(result, table)
    return result, rows
