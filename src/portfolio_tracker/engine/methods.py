"""Cost-basis methods and corporate actions over one asset's trades (``run_lots``).

The figures and their exactness are those of ``engine.lots`` (module doc there): a buy's fee is
capitalised into its lot, a sell's fee comes off its proceeds, a partial piece of a lot costs
``remaining_cost * taken / remaining`` rounded once at 1e-40 and the last piece of a lot takes
all of its remaining cost, so "bought cost = remaining cost + consumed cost" holds to the last
digit under every method. Methods (``CostBasisMethod``):

* ``fifo`` — the oldest open lot first: ``engine.lots.run_fifo`` itself when there is no
  corporate action (its tuned loop), the same figures otherwise.
* ``lifo`` — the newest open lot first.
* ``hifo`` — the highest unit cost first, the unit cost being the buy's
  ``(quantity x price + fee) / quantity`` (fees included); equal unit costs: the older first.
  Corporate actions rescale every lot alike, so they never change this order.
* ``average`` — moving weighted average: the pool holds the quantity and the total cost of
  every open lot; a sell costs ``pool cost x sold / held`` (the last unit takes all that is
  left, so the pool returns to exactly zero when the quantity does: it resets) and a buy adds
  its quantity and cost. Convention for the lots: ``Realization.consumed`` still names lots, for
  their buy dates — the sold quantity is attributed to the open lots oldest first, each piece
  at the average cost (``sell cost x piece / sold``, the last piece taking the rest) — and each
  open lot carries ``pool cost x its quantity / held`` (the newest open lot takes the rest),
  with ``cost_per_unit`` the pool's average. So lot costs always add up to the pool.
* ``specific`` — a sell names its lots: ``allocations[sell_id]`` is a sequence of
  ``(buy_id, quantity)`` whose quantities add up to the sell's quantity exactly; each buy must
  be a lot still open at the sell's moment (an earlier buy) with at least that quantity left
  (quantities are those in force at the sell, i.e. after any corporate action before it); else
  ``AllocationError``. A sell without allocations falls back to FIFO. Allocations keyed by an
  id that is no trade are ignored (the caller stores them per sell); keyed by a buy, refused.
  Under any other method allocations are ignored.

Corporate actions (``engine.actions``) rescale every open lot at the start of their ex-date,
before that day's trades; quantities of later trades are post-action. An ``OpenLot`` then
shows its buy's quantity and prices in post-action units: ``original_quantity`` x n/d,
``price_per_unit`` and ``cost_per_unit`` x d/n (products of every action since the buy).
Actions after the last trade apply too: the caller passes only those it wants in force.
"""

from __future__ import annotations

import gc
import heapq
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Any, Literal

from portfolio_tracker.engine.actions import (
    CorporateAction,
    order_actions,
    scale_lots,
    scale_quantity,
)
from portfolio_tracker.engine.lots import (
    FifoResult,
    LotConsumption,
    OpenLot,
    OversellError,
    Realization,
    Trade,
    check_history,
    order_trades,
    run_fifo,
)
from portfolio_tracker.engine.money import ENGINE_CONTEXT, to_plain_str
from portfolio_tracker.engine.vocabulary import CostBasisMethod

__all__ = [
    "AllocationError",
    "Allocations",
    "FlowReplay",
    "LotRecord",
    "LotState",
    "LotsResult",
    "Replay",
    "TradeRow",
    "check_lots",
    "replay_fifo_rows",
    "replay_lots",
    "run_lots",
]

LotsResult = FifoResult  # the result of any method; the name FifoResult is kept for callers
Allocations = Mapping[str, Sequence[tuple[str, Decimal]]]
AllocationProblem = Literal["sum", "not_open", "insufficient", "quantity", "not_a_sell"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_QUANTUM = Decimal("1E-40")


class AllocationError(ValueError):
    """A ``specific`` sell's allocations cannot be honoured.

    ``problem``: ``sum`` (they do not add up to the sell's quantity; ``buy_id`` is None),
    ``quantity`` (a quantity is not > 0), ``not_open`` (``buy_id`` is no lot open at the
    sell's moment: unknown, later, or used up), ``insufficient`` (the lot holds only
    ``available``), ``not_a_sell`` (``sell_id`` is a buy).
    """

    def __init__(
        self,
        sell_id: str,
        day: date | None,
        buy_id: str | None,
        problem: AllocationProblem,
        message: str,
        available: Decimal | None = None,
    ) -> None:
        self.sell_id = sell_id
        self.day = day
        self.buy_id = buy_id
        self.problem: AllocationProblem = problem
        self.available = available
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        args = (self.sell_id, self.day, self.buy_id, self.problem, str(self), self.available)
        return (type(self), args)


class _Lot:
    __slots__ = ("buy", "cost", "den", "num", "remaining")

    def __init__(self, buy: Trade) -> None:
        self.buy = buy
        self.remaining = buy.quantity
        self.cost = buy.quantity * buy.price_per_unit + buy.fee
        self.num = _ONE  # products of every action's numerator / denominator since the buy
        self.den = _ONE


@dataclass(frozen=True, slots=True)
class LotRecord:
    """One open lot in the middle of a replay, as a value (``LotState``): the buy it came from
    (id, calendar day, quantity, price and fee as recorded), what is left of it (quantity in
    post-action units, cost in the asset currency) and the product of every corporate action's
    numerator (``num``) and denominator (``den``) applied since the buy."""

    buy_id: str
    day: date
    quantity: Decimal
    price_per_unit: Decimal
    fee: Decimal
    remaining: Decimal
    cost: Decimal
    num: Decimal = _ONE
    den: Decimal = _ONE


@dataclass(frozen=True, slots=True)
class LotState:
    """Everything a replay carries from one trade to the next (a checkpoint): the method it
    ran under, the open lots in buy order, the quantity held, the average pool's cost (the
    sum of the lots' costs under ``average``; 0 otherwise), the realised P&L so far (asset
    currency) and the ids of the corporate actions applied so far (those whose ex-date is on
    or before the day of the last trade replayed). ``replay_lots(start=...)`` resumes from it:
    replaying the trades after a checkpoint from it gives the figures of a replay from the
    first trade (tests/engine/test_checkpoints.py)."""

    method: CostBasisMethod
    lots: tuple[LotRecord, ...]
    held: Decimal
    pool_cost: Decimal
    realized: Decimal
    applied: tuple[str, ...] = ()


def empty_state(method: CostBasisMethod | str) -> LotState:
    """The state before any trade."""
    return LotState(CostBasisMethod(method), (), _ZERO, _ZERO, _ZERO)


@dataclass(frozen=True, slots=True)
class Replay:
    """What ``replay_lots`` gives: the figures after the last trade (``result``; its
    ``realizations`` are those of the replayed trades only, its ``realized_pnl`` includes the
    start's), the state after the trade at each requested index (``snapshots``: (index,
    state), ascending) and the state after the last trade, before the corporate actions later
    than it are applied (``end``: the checkpoint to resume from)."""

    result: LotsResult
    snapshots: tuple[tuple[int, LotState], ...]
    end: LotState


def _share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    value = amount * part / whole
    rounded = value.quantize(_QUANTUM)
    return value if rounded == value else rounded


def run_lots(
    trades: Iterable[Trade],
    method: CostBasisMethod | str = CostBasisMethod.fifo,
    *,
    actions: Iterable[CorporateAction] = (),
    allocations: Allocations | None = None,
) -> LotsResult:
    """Match sells to lots by ``method`` with ``actions`` applied (module doc).

    Trades in any order (put in the order of trades here). Raises ``OversellError`` at the
    first sell exceeding what is held (actions applied), ``AllocationError`` for a ``specific``
    sell whose allocations cannot be honoured, ValueError for an unknown method.
    """
    chosen = CostBasisMethod(method)
    pending = order_actions(actions)
    if not pending and (
        chosen == CostBasisMethod.fifo or (chosen == CostBasisMethod.specific and not allocations)
    ):
        return run_fifo(trades)
    # Same reason as run_fifo: the replay creates no cycles, the collector could free nothing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        ordered = order_trades(trades)
        with localcontext(ENGINE_CONTEXT):
            return _replay(ordered, chosen, pending, allocations or {}).result
    finally:
        if gc_was_enabled:
            gc.enable()


def check_lots(
    trades: Iterable[Trade],
    method: CostBasisMethod | str = CostBasisMethod.fifo,
    *,
    actions: Iterable[CorporateAction] = (),
    allocations: Allocations | None = None,
) -> None:
    """Raise what ``run_lots`` would raise, without building its result when the method
    cannot refuse more than an oversell (``engine.lots.check_history``)."""
    if CostBasisMethod(method) == CostBasisMethod.specific and allocations:
        run_lots(trades, method, actions=actions, allocations=allocations)
    else:
        check_history(trades, actions)


TradeRow = tuple[str, str, Decimal, Decimal, Decimal, date]


@dataclass(frozen=True, slots=True)
class FlowReplay:
    """What ``replay_fifo_rows`` gives: the figures after the last row (``result``, with no
    ``realizations``: their realised P&L is in ``flows``), the realised flows by day of each
    stretch of rows (one dict per stretch: the rows up to and including each mark, then the
    rest), the state after each marked row and the state after the last row."""

    result: LotsResult
    flows: tuple[dict[date, Decimal], ...]
    snapshots: dict[int, LotState]
    end: LotState


def replay_fifo_rows(
    rows: Sequence[TradeRow],
    method: CostBasisMethod | str = CostBasisMethod.fifo,
    *,
    start: LotState | None = None,
    marks: Collection[int] = (),
) -> FlowReplay:
    """FIFO matching from a checkpoint over trades given as plain rows (id, "buy"/"sell",
    quantity, price per unit, fee, calendar day) already in the order of trades, with no
    corporate action and no allocations: the figures of ``replay_lots`` (same arithmetic,
    the module doc's exactness) without a Trade or a Realization object per row, and the
    realised P&L as flows by day (``engine.segments.realized_flows``) per stretch between
    ``marks``. ``method`` is recorded in the states: ``fifo`` or ``specific`` without
    allocations, which match as FIFO. Raises OversellError at the first oversell, ValueError
    for another method or a checkpoint of another method or with actions applied."""
    chosen = CostBasisMethod(method)
    if chosen not in (CostBasisMethod.fifo, CostBasisMethod.specific):
        raise ValueError(f"{chosen} does not match as FIFO")
    if start is not None and (start.method != chosen or start.applied):
        raise ValueError("checkpoint of another method or with corporate actions")
    gc_was_enabled = gc.isenabled()
    gc.disable()  # no cycles: a collection could free nothing (see engine.lots.run_fifo)
    try:
        with localcontext(ENGINE_CONTEXT):
            return _fifo_rows(rows, chosen, start, set(marks))
    finally:
        if gc_was_enabled:
            gc.enable()


def _fifo_rows(
    rows: Sequence[TradeRow], method: CostBasisMethod, start: LotState | None, marks: set[int]
) -> FlowReplay:
    # An open lot is a list [buy id, day, quantity, price, fee, remaining, remaining cost].
    lots: deque[list[Any]] = deque()
    held = realized = _ZERO
    if start is not None:
        held, realized = start.held, start.realized
        for r in start.lots:
            lots.append([r.buy_id, r.day, r.quantity, r.price_per_unit, r.fee, r.remaining, r.cost])
    flows: dict[date, Decimal] = {}
    stretches: list[dict[date, Decimal]] = []
    snapshots: dict[int, LotState] = {}
    zero = _ZERO
    quantum = _QUANTUM

    def state() -> LotState:
        return LotState(
            method,
            tuple(LotRecord(*lot) for lot in lots),
            held,
            zero,
            realized,
        )

    # One plain loop per stretch between marks (no per-row test of the index).
    bounds = sorted({m for m in marks if 0 <= m < len(rows)} | ({len(rows) - 1} if rows else set()))
    first = 0
    add_lot, first_lot, drop_lot = lots.append, lots.__getitem__, lots.popleft
    for last in bounds:
        get = flows.get
        for tx_id, kind, q, price, fee, day in rows[first : last + 1]:
            if kind == "buy":
                add_lot([tx_id, day, q, price, fee, q, q * price + fee])
                held += q
                continue
            if q > held:
                raise OversellError(tx_id, day, q, held)
            proceeds = q * price - fee
            flows[day] = get(day, zero) + proceeds
            need = q
            cost = zero
            while need:
                lot = first_lot(0)
                remaining: Decimal = lot[5]
                lot_cost: Decimal = lot[6]
                if remaining <= need:
                    piece = lot_cost
                    need -= remaining
                    drop_lot()
                else:
                    piece = lot_cost * need / remaining
                    rounded = piece.quantize(quantum)
                    if rounded != piece:
                        piece = rounded
                    lot[5] = remaining - need
                    lot[6] = lot_cost - piece
                    need = zero
                buy_day: date = lot[1]
                flows[buy_day] = get(buy_day, zero) - piece
                cost += piece
            held -= q
            realized += proceeds - cost
        first = last + 1
        if last in marks:
            snapshots[last] = state()
            stretches.append(flows)
            flows = {}
    stretches.append(flows)
    end = state()
    open_lots = []
    quantity = cost_basis = zero
    for lot in lots:
        buy_id, bought, bq, unit_price, buy_fee, left, left_cost = lot
        per_unit = (bq * unit_price + buy_fee) / bq
        open_lots.append(OpenLot(buy_id, bought, bq, left, unit_price, per_unit, left_cost))
        quantity += left
        cost_basis += left_cost
    result = LotsResult(
        open_lots=tuple(open_lots),
        realizations=(),
        quantity=quantity,
        cost_basis=cost_basis,
        average_cost=cost_basis / quantity if quantity else None,
        realized_pnl=realized,
    )
    return FlowReplay(result, tuple(stretches), snapshots, end)


def replay_lots(
    trades: Iterable[Trade],
    method: CostBasisMethod | str = CostBasisMethod.fifo,
    *,
    actions: Iterable[CorporateAction] = (),
    allocations: Allocations | None = None,
    start: LotState | None = None,
    marks: Collection[int] = (),
) -> Replay:
    """``run_lots`` from a checkpoint (``start``; None: from nothing) over the trades after it,
    keeping the state after the trades at the indices ``marks`` (0-based, in the order of
    trades) and at the end (``Replay``).

    ``actions`` are all of the asset's confirmed actions: those the start has applied are
    skipped. Raises as ``run_lots`` does, and ValueError when ``start`` does not fit (another
    method, or an applied action that is not in ``actions``): a stale checkpoint is never
    resumed silently.
    """
    chosen = CostBasisMethod(method)
    pending = order_actions(actions)
    if start is not None:
        if start.method != chosen:
            raise ValueError(f"checkpoint of method {start.method}, not {chosen}")
        known = {a.id for a in pending}
        if any(applied not in known for applied in start.applied):
            raise ValueError("checkpoint applied a corporate action that is gone")
        done = set(start.applied)
        pending = [a for a in pending if a.id not in done]
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        ordered = order_trades(trades)
        with localcontext(ENGINE_CONTEXT):
            return _replay(ordered, chosen, pending, allocations or {}, start, marks)
    finally:
        if gc_was_enabled:
            gc.enable()


def _replay(
    ordered: list[Trade],
    method: CostBasisMethod,
    pending: list[CorporateAction],
    allocations: Allocations,
    start: LotState | None = None,
    marks: Collection[int] = (),
) -> Replay:
    """The generic replay of run_lots (any method, actions, from a checkpoint); under
    ENGINE_CONTEXT."""
    average = method == CostBasisMethod.average
    specific = method == CostBasisMethod.specific
    alive: dict[str, _Lot] = {}  # open lots by buy id, in buy order
    queue: deque[_Lot] = deque()  # fifo, specific, average: oldest first
    stack: list[_Lot] = []  # lifo
    heap: list[tuple[Decimal, int, _Lot]] = []  # hifo: (-unit cost, buy order, lot)
    pool_cost = _ZERO  # average: the cost of everything held
    held = _ZERO
    realized = _ZERO
    realizations: list[Realization] = []
    pending = list(reversed(pending))  # popped from the end: earliest first
    seq = 0
    applied: list[str] = []
    if start is not None:
        held, pool_cost, realized = start.held, start.pool_cost, start.realized
        applied.extend(start.applied)
        for record in start.lots:
            lot = _resumed_lot(record)
            alive[record.buy_id] = lot
            if method == CostBasisMethod.lifo:
                stack.append(lot)
            elif method == CostBasisMethod.hifo:
                # The buy's unit cost, as when it was bought: the order never changes (doc).
                unit = (record.quantity * record.price_per_unit + record.fee) / record.quantity
                heapq.heappush(heap, (-unit, seq, lot))
            else:
                queue.append(lot)
            seq += 1
    snapshots: list[tuple[int, LotState]] = []
    wanted = set(marks)

    def snapshot() -> LotState:
        return LotState(
            method,
            tuple(
                LotRecord(
                    lot.buy.id,
                    lot.buy.day,
                    lot.buy.quantity,
                    lot.buy.price_per_unit,
                    lot.buy.fee,
                    lot.remaining,
                    lot.cost,
                    lot.num,
                    lot.den,
                )
                for lot in alive.values()
            ),
            held,
            pool_cost if average else _ZERO,
            realized,
            tuple(applied),
        )

    def next_lot() -> _Lot:
        # Lots used up elsewhere (specific allocations) stay in the containers until reached.
        if method == CostBasisMethod.lifo:
            while stack[-1].remaining == 0:
                stack.pop()
            return stack[-1]
        if method == CostBasisMethod.hifo:
            while heap[0][2].remaining == 0:
                heapq.heappop(heap)
            return heap[0][2]
        while queue[0].remaining == 0:
            queue.popleft()
        return queue[0]

    def take(lot: _Lot, want: Decimal) -> LotConsumption:
        remaining = lot.remaining
        if want >= remaining:
            piece = LotConsumption(lot.buy.id, lot.buy.day, remaining, lot.cost)
            lot.remaining = _ZERO
            lot.cost = _ZERO
            del alive[lot.buy.id]
            return piece
        cost = _share(lot.cost, want, remaining)
        lot.remaining = remaining - want
        lot.cost -= cost
        return LotConsumption(lot.buy.id, lot.buy.day, want, cost)

    def apply(action: CorporateAction) -> None:
        nonlocal held
        applied.append(action.id)
        lots = list(alive.values())
        for lot, quantity in zip(
            lots, scale_lots([x.remaining for x in lots], action), strict=True
        ):
            lot.remaining = quantity
            lot.num *= action.numerator
            lot.den *= action.denominator
        held = scale_quantity(held, action)

    for index, t in enumerate(ordered):
        while pending and pending[-1].ex_date <= t.day:
            apply(pending.pop())
        q = t.quantity
        if t.kind == "buy":
            if specific and t.id in allocations:
                raise AllocationError(
                    t.id,
                    t.day,
                    None,
                    "not_a_sell",
                    f"trade {t.id} is a buy: it has no lots to name",
                )
            lot = _Lot(t)
            alive[t.id] = lot
            if method == CostBasisMethod.lifo:
                stack.append(lot)
            elif method == CostBasisMethod.hifo:
                heapq.heappush(heap, (-(lot.cost / q), seq, lot))
            else:
                queue.append(lot)
            seq += 1
            held += q
            pool_cost += lot.cost
            if index in wanted:
                snapshots.append((index, snapshot()))
            continue
        if q > held:
            raise OversellError(t.id, t.day, q, held)
        chosen = allocations.get(t.id) if specific else None
        if chosen:
            pieces = _allocated(t, chosen, alive, take)
        else:
            pieces = []
            need = q
            while need:
                piece = take(next_lot(), need)
                pieces.append(piece)
                need -= piece.quantity
        if average:
            cost = pool_cost if q == held else _share(pool_cost, q, held)
            pool_cost -= cost
            pieces = _at_average(pieces, cost, q)
        else:
            cost = sum((p.cost for p in pieces), _ZERO)
        held -= q
        proceeds = q * t.price_per_unit - t.fee
        pnl = proceeds - cost
        realized += pnl
        realizations.append(Realization(t.id, t.day, q, proceeds, cost, pnl, tuple(pieces)))
        if index in wanted:
            snapshots.append((index, snapshot()))
    end = snapshot()
    while pending:
        apply(pending.pop())
    result = _result(list(alive.values()), realizations, realized, pool_cost if average else None)
    return Replay(result, tuple(snapshots), end)


def _resumed_lot(record: LotRecord) -> _Lot:
    buy = Trade(
        record.buy_id, "buy", record.quantity, record.price_per_unit, record.fee, record.day, 0
    )
    lot = _Lot(buy)
    lot.remaining = record.remaining
    lot.cost = record.cost
    lot.num = record.num
    lot.den = record.den
    return lot


def _allocated(
    sell: Trade,
    chosen: Sequence[tuple[str, Decimal]],
    alive: dict[str, _Lot],
    take: Callable[[_Lot, Decimal], LotConsumption],
) -> list[LotConsumption]:
    """The pieces a specific sell names, checked (see AllocationError)."""
    total = _ZERO
    for buy_id, quantity in chosen:
        if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity <= 0:
            raise AllocationError(
                sell.id,
                sell.day,
                buy_id,
                "quantity",
                f"sell {sell.id}: the quantity taken from lot {buy_id} must be > 0",
            )
        total += quantity
    if total != sell.quantity:
        raise AllocationError(
            sell.id,
            sell.day,
            None,
            "sum",
            f"sell {sell.id}: allocations add up to {to_plain_str(total)},"
            f" not the sell's quantity {to_plain_str(sell.quantity)}",
        )
    pieces: list[LotConsumption] = []
    for buy_id, quantity in chosen:
        lot = alive.get(buy_id)
        if lot is None:
            raise AllocationError(
                sell.id,
                sell.day,
                buy_id,
                "not_open",
                f"sell {sell.id}: lot {buy_id} is not open at the sell's moment",
            )
        if lot.remaining < quantity:
            raise AllocationError(
                sell.id,
                sell.day,
                buy_id,
                "insufficient",
                f"sell {sell.id}: lot {buy_id} holds {to_plain_str(lot.remaining)},"
                f" not {to_plain_str(quantity)}",
                available=lot.remaining,
            )
        pieces.append(take(lot, quantity))
    return pieces


def _at_average(pieces: list[LotConsumption], cost: Decimal, sold: Decimal) -> list[LotConsumption]:
    """The same pieces, costed at the average: their share of ``cost``, the last the rest."""
    out = []
    left = cost
    for i, p in enumerate(pieces):
        share = left if i == len(pieces) - 1 else _share(cost, p.quantity, sold)
        left -= share
        out.append(LotConsumption(p.buy_id, p.buy_day, p.quantity, share))
    return out


def _result(
    lots: list[_Lot],
    realizations: list[Realization],
    realized: Decimal,
    pool_cost: Decimal | None,
) -> LotsResult:
    quantity = sum((lot.remaining for lot in lots), _ZERO)
    if pool_cost is not None:
        # Average: each open lot carries its share of the pool; the newest takes the rest.
        left = pool_cost
        for i, lot in enumerate(lots):
            lot.cost = left if i == len(lots) - 1 else _share(pool_cost, lot.remaining, quantity)
            left -= lot.cost
    open_lots = []
    cost_basis = _ZERO
    for lot in lots:
        buy = lot.buy
        bq, price = buy.quantity, buy.price_per_unit
        if pool_cost is not None:
            cost_per_unit = pool_cost / quantity
        elif lot.num == lot.den:
            cost_per_unit = (bq * price + buy.fee) / bq
        else:
            cost_per_unit = (bq * price + buy.fee) * lot.den / (bq * lot.num)
        if lot.num != lot.den:
            bq = _share(bq, lot.num, lot.den)
            price = _share(price, lot.den, lot.num)
        open_lots.append(
            OpenLot(buy.id, buy.day, bq, lot.remaining, price, cost_per_unit, lot.cost)
        )
        cost_basis += lot.cost
    return FifoResult(
        open_lots=tuple(open_lots),
        realizations=tuple(realizations),
        quantity=quantity,
        cost_basis=cost_basis,
        average_cost=cost_basis / quantity if quantity else None,
        realized_pnl=realized,
    )
